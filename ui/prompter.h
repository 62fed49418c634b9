#pragma once

#include <QColor>
#include <QString>
#include <QStringList>

#include <optional>

class QWidget;

namespace roomkeeper {

// What the operator chose in the ban dialog.
struct BanChoice
{
    QString reason;
    qint64 durationMs = 0;      // 0 = for good
    bool alsoAddresses = false; // also ban the addresses they connect from
};

struct NewRoomChoice
{
    QString name;
    bool closed = false; // room lock from the start
};

enum class CloseChoice
{
    KeepHosting, // hide to the tray, keep serving
    Stop,        // stop hosting and quit
    Cancel
};

// Every question the window asks the operator, behind one interface: the window uses
// dialogs (DialogPrompter); tests answer without any (and see what was asked).
// A confirmation's text says what the action hits, e.g. "disconnects 7 people".
class Prompter
{
public:
    virtual ~Prompter();

    virtual bool confirm(QWidget *parent, const QString &title, const QString &text,
                         const QString &acceptLabel) = 0;
    // A destructive action with an optional reason; nullopt = cancelled.
    virtual std::optional<QString> confirmWithReason(QWidget *parent, const QString &title,
                                                     const QString &text,
                                                     const QString &acceptLabel) = 0;
    virtual std::optional<QString> text(QWidget *parent, const QString &title, const QString &label,
                                        const QString &initial) = 0;
    virtual std::optional<int> number(QWidget *parent, const QString &title, const QString &label,
                                      int initial, int minimum, int maximum) = 0;
    virtual std::optional<QColor> color(QWidget *parent, const QString &title,
                                        const QColor &initial) = 0;
    virtual std::optional<BanChoice> ban(QWidget *parent, const QString &title, const QString &text,
                                         const QStringList &addresses) = 0;
    virtual std::optional<NewRoomChoice> newRoom(QWidget *parent) = 0;
    virtual CloseChoice closing(QWidget *parent, const QString &text, bool trayAvailable) = 0;
    // The core refused an action; must not block.
    virtual void refused(QWidget *parent, const QString &title, const QString &text) = 0;
    // Something to read (a console answer); must not block.
    virtual void inform(QWidget *parent, const QString &title, const QString &text) = 0;
    // Where to save a file; nullopt = cancelled.
    virtual std::optional<QString> saveFileName(QWidget *parent, const QString &title,
                                                const QString &suggested) = 0;
};

} // namespace roomkeeper
