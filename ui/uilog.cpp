#include "uilog.h"

namespace roomkeeper {

Q_LOGGING_CATEGORY(lcUi, "roomkeeper.ui")

} // namespace roomkeeper
