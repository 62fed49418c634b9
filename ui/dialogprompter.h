#pragma once

#include "prompter.h"

namespace roomkeeper {

// The Prompter of the real window: message boxes and small dialogs.
class DialogPrompter final : public Prompter
{
public:
    bool confirm(QWidget *parent, const QString &title, const QString &text,
                 const QString &acceptLabel) override;
    std::optional<QString> confirmWithReason(QWidget *parent, const QString &title,
                                             const QString &text,
                                             const QString &acceptLabel) override;
    std::optional<QString> text(QWidget *parent, const QString &title, const QString &label,
                                const QString &initial) override;
    std::optional<int> number(QWidget *parent, const QString &title, const QString &label,
                              int initial, int minimum, int maximum) override;
    std::optional<QColor> color(QWidget *parent, const QString &title,
                                const QColor &initial) override;
    std::optional<BanChoice> ban(QWidget *parent, const QString &title, const QString &text,
                                 const QStringList &addresses) override;
    std::optional<NewRoomChoice> newRoom(QWidget *parent) override;
    CloseChoice closing(QWidget *parent, const QString &text, bool trayAvailable) override;
    void refused(QWidget *parent, const QString &title, const QString &text) override;
    void inform(QWidget *parent, const QString &title, const QString &text) override;
    std::optional<QString> saveFileName(QWidget *parent, const QString &title,
                                        const QString &suggested) override;
};

} // namespace roomkeeper
