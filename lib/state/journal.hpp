// The journal in a lab's state directory (journal.json): which steps finished, with which
// inputs, and what they learned, so the next launch resumes instead of starting over.
#pragma once

#include "plan/step.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshlab::state {

// Name of the journal in the state directory.
inline constexpr std::string_view k_journal_file = "journal.json";

struct JournalEntry {
  std::string id;          // step id
  std::string inputs_hash; // the step's effective hash when it finished (see Resume)
  plan::Facts facts;       // what it learned
  std::string finished_at; // UTC, RFC 3339: "2026-11-21T20:42:46Z"
  bool operator==(const JournalEntry&) const = default;
};

// Plain data plus load/save; not thread-safe (Resume serialises access).
class Journal {
public:
  // Reads `path`. A missing file is an empty journal. A journal that cannot be read or
  // parsed is empty too, with `warning` saying so: the world is the source of truth and
  // the journal only saves time, so a damaged one costs checks, never correctness.
  static Journal load(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return m_path; }
  // Why the file on disk was ignored; empty when it was read (or absent).
  const std::string& warning() const { return m_warning; }

  const JournalEntry* find(const std::string& id) const;
  const std::vector<JournalEntry>& entries() const { return m_entries; }
  // Adds or replaces the entry with `entry.id`.
  void record(JournalEntry entry);
  // Removes the entry of step `id`, if any.
  void forget(const std::string& id);

  // Writes the journal atomically (0600: facts may name things only the user should see).
  // Throws meshlab::Error when it cannot be written.
  void save() const;

private:
  std::filesystem::path m_path;
  std::string m_warning;
  std::vector<JournalEntry> m_entries; // in the order the steps finished
};

// The current time as journal entries write it.
std::string utc_now();

} // namespace meshlab::state
