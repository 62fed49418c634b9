#pragma once

#include <QString>
#include <QStringList>

#include <functional>

namespace roomkeeper {

class ChatServer;

// The operator's command grammar (DESIGN.md "Headless console"), one registry for the
// stdin console and the window's command palette. Runs on the core thread and acts only
// through the moderation service. Every answer starts with "ok" or "error: ..."; data
// lines follow, fields separated by tabs, so scripts can parse them.
class ConsoleCommands
{
public:
    struct Result
    {
        QStringList lines;
        bool quit = false;     // the operator asked to stop the server
        int drainSeconds = -1; // >= 0: stop after this many seconds, warning everyone
        QString drainMessage;
    };

    explicit ConsoleCommands(ChatServer &server);

    Result execute(const QString &line);
    // One line per command: its grammar and what it does.
    QStringList help() const;

private:
    struct Command
    {
        QString name;
        QString usage;
        QString summary;
        int minArgs;
        std::function<Result(const QStringList &args)> run;
    };

    void add(const QString &name, const QString &usage, const QString &summary, int minArgs,
             std::function<Result(const QStringList &)> run);

    ChatServer &m_server;
    QList<Command> m_commands;
};

} // namespace roomkeeper
