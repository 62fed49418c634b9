#pragma once

#include <QLoggingCategory>

namespace roomkeeper {

// The window's logging category: QT_LOGGING_RULES="roomkeeper.ui.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcUi)

} // namespace roomkeeper
