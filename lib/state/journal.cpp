#include "state/journal.hpp"

#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

namespace meshlab::state {

namespace fs = std::filesystem;

namespace {

constexpr int k_version = 1;

JournalEntry entry_from_json(const nlohmann::json& json) {
  JournalEntry entry;
  entry.id = json.at("id").get<std::string>();
  entry.inputs_hash = json.at("inputs_hash").get<std::string>();
  entry.facts = json.at("facts").get<plan::Facts>();
  entry.finished_at = json.value("finished_at", "");
  if (entry.id.empty()) throw std::runtime_error("an entry has an empty id");
  return entry;
}

} // namespace

Journal Journal::load(const fs::path& path) {
  Journal journal;
  journal.m_path = path;
  std::error_code error;
  if (!fs::exists(path, error)) return journal;
  try {
    const auto json = nlohmann::json::parse(util::read_file(path));
    if (json.at("version").get<int>() != k_version)
      throw std::runtime_error(fmt::format("version {} is not {}", json.at("version").dump(), k_version));
    for (const auto& item : json.at("steps")) journal.record(entry_from_json(item));
  } catch (const std::exception& e) {
    journal.m_entries.clear();
    journal.m_warning = fmt::format("ignoring the journal {} ({}); every step runs or re-checks the world",
                                    path.string(), e.what());
  }
  return journal;
}

const JournalEntry* Journal::find(const std::string& id) const {
  const auto found = std::find_if(m_entries.begin(), m_entries.end(), [&](const JournalEntry& e) { return e.id == id; });
  return found == m_entries.end() ? nullptr : &*found;
}

void Journal::record(JournalEntry entry) {
  forget(entry.id);
  m_entries.push_back(std::move(entry));
}

void Journal::forget(const std::string& id) {
  std::erase_if(m_entries, [&](const JournalEntry& e) { return e.id == id; });
}

void Journal::save() const {
  auto steps = nlohmann::json::array();
  for (const auto& entry : m_entries) {
    steps.push_back({{"id", entry.id},
                     {"inputs_hash", entry.inputs_hash},
                     {"facts", entry.facts},
                     {"finished_at", entry.finished_at}});
  }
  const nlohmann::json json{{"version", k_version}, {"steps", std::move(steps)}};
  util::write_file_atomic(m_path, json.dump(2) + "\n", fs::perms(0600));
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

} // namespace meshlab::state
