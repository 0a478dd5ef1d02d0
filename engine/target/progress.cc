#include "progress.h"

#include "errors.h"

namespace goinspect {

namespace {

constexpr auto kShowAfter = std::chrono::milliseconds(500);
constexpr auto kEvery = std::chrono::milliseconds(100);

}  // namespace

Progress::Progress(Target& target, std::string title, uint64_t total)
    : fe_(target.frontEnd()), title_(std::move(title)), total_(total) {}

Progress::~Progress() {
  if (shown_) fe_.progressEnd();
}

void Progress::check() {
  if (fe_.interruptRequested()) {
    std::string of = total_ ? " of " + std::to_string(total_) : "";
    throw Interrupted("interrupted while " + title_ + ", after " + std::to_string(done_) + of +
                      "; nothing was kept: the command starts over when run again");
  }
  Clock::time_point now = Clock::now();
  if (now - fe_.started() < kShowAfter || now - last_ < kEvery) return;
  last_ = now;
  shown_ = true;
  fe_.progress(title_, done_, total_);
}

}  // namespace goinspect
