// Answers worth asking for once: computed by the first thread that needs one, shared with
// every thread that asks for it meanwhile or later, until they are forgotten.
#pragma once

#include "util/error.hpp"

#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>

namespace meshlab::util {

// Thread-safe. T should be cheap to copy (a shared_ptr to something large).
template <class T>
class Memo {
public:
  // The answer for `key`. The first asker computes it with `compute`; askers that come while
  // it does wait for it instead of computing it again. An exception from `compute` is the
  // answer too (each asker gets it rethrown), except meshlab::Interrupted: Ctrl-C ends this
  // computation, not the question, so it is passed on but not kept.
  T get(const std::string& key, const std::function<T()>& compute) {
    std::shared_future<T> answer;
    std::promise<T> promise;
    std::uint64_t generation = 0;
    {
      const std::lock_guard lock(m_mutex);
      if (const auto found = m_answers.find(key); found != m_answers.end()) {
        answer = found->second;
      } else {
        answer = promise.get_future().share();
        m_answers.emplace(key, answer);
        generation = m_generation;
      }
    }
    if (generation == 0) return answer.get(); // another asker computes it
    try {
      promise.set_value(compute());
    } catch (const Interrupted&) {
      promise.set_exception(std::current_exception());
      drop(key, generation);
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
    return answer.get();
  }

  // Forgets every answer: the next get of any key computes it again. A computation under
  // way still answers its own askers, but is not kept.
  void forget() {
    const std::lock_guard lock(m_mutex);
    m_answers.clear();
    ++m_generation;
  }

private:
  void drop(const std::string& key, std::uint64_t generation) {
    const std::lock_guard lock(m_mutex);
    if (generation == m_generation) m_answers.erase(key);
  }

  std::mutex m_mutex;
  std::map<std::string, std::shared_future<T>> m_answers;
  std::uint64_t m_generation = 1; // 0 means "not mine to compute" in get
};

} // namespace meshlab::util
