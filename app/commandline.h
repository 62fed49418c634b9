#pragma once

#include "server/serverconfig.h"

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

// Parses the arguments, argv[0] first.
CommandLineResult parseCommandLine(const QStringList &arguments);

// Whether the GUI can run: a display, or a Qt platform chosen explicitly.
bool displayAvailable();

} // namespace roomkeeper
