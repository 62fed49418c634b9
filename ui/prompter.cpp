#include "prompter.h"

namespace roomkeeper {

Prompter::~Prompter() = default;

} // namespace roomkeeper
