#pragma once

#include "server/serverconfig.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <optional>

namespace roomkeeper {

// The command line of DESIGN.md. Scripts and benchmarks rely on these flag names.
struct CommandLine
{
    ServerConfig config;
    bool noGui = false;
    QString configFile;
    QString logLevel = QStringLiteral("info");
    QString tlsCert;
    QString tlsKey;
};

// What parsing the arguments gave. On --help or --version, 'exitNow' is set and 'output'
// holds what to print; on an error, 'error' says what is wrong.
struct CommandLineResult
{
    std::optional<CommandLine> options;
    bool exitNow = false;
    QString output;
    QString error;
};

// Parses the arguments, argv[0] first. 'saved' holds values below the --config file and
// the flags (the window's saved settings, readSavedSettings()), keyed by flag name.
// Precedence: flags > --config file > saved > built-in defaults.
CommandLineResult parseCommandLine(const QStringList &arguments,
                                   const QHash<QString, QStringList> &saved = {});

// The server settings saved by the operator window (Server → Settings…): QSettings
// "roomkeeper"/"roomkeeper", group "server", keys named as the flags. Keys that are not
// settings are left out.
QHash<QString, QStringList> readSavedSettings();

// Whether the GUI can run: a display, or a Qt platform chosen explicitly.
bool displayAvailable();

} // namespace roomkeeper
