#pragma once

#include "ui/prompter.h"

#include <QList>
#include <QString>

namespace roomkeeper::test {

// Answers the window's questions without dialogs, and remembers what it was asked, so
// tests can check that a confirmation says what an action hits.
class TestPrompter final : public Prompter
{
public:
    struct Question
    {
        QString kind; // "confirm", "reason", "text", "number", "color", "ban", "room", "close"
        QString title;
        QString text;
    };

    QList<Question> asked;
    QStringList refusals;
    QStringList informed;

    bool confirmAnswer = true;
    std::optional<QString> reasonAnswer = QString();
    std::optional<QString> textAnswer;
    std::optional<int> numberAnswer;
    std::optional<QColor> colorAnswer;
    std::optional<BanChoice> banAnswer = BanChoice{};
    std::optional<NewRoomChoice> newRoomAnswer;
    CloseChoice closeAnswer = CloseChoice::Stop;
    std::optional<QString> saveAnswer;

    QString lastText() const { return asked.isEmpty() ? QString() : asked.last().text; }

    bool confirm(QWidget *, const QString &title, const QString &text, const QString &) override
    {
        asked.append({QStringLiteral("confirm"), title, text});
        return confirmAnswer;
    }
    std::optional<QString> confirmWithReason(QWidget *, const QString &title, const QString &text,
                                             const QString &) override
    {
        asked.append({QStringLiteral("reason"), title, text});
        return reasonAnswer;
    }
    std::optional<QString> text(QWidget *, const QString &title, const QString &label,
                                const QString &) override
    {
        asked.append({QStringLiteral("text"), title, label});
        return textAnswer;
    }
    std::optional<int> number(QWidget *, const QString &title, const QString &label, int, int,
                              int) override
    {
        asked.append({QStringLiteral("number"), title, label});
        return numberAnswer;
    }
    std::optional<QColor> color(QWidget *, const QString &title, const QColor &) override
    {
        asked.append({QStringLiteral("color"), title, QString()});
        return colorAnswer;
    }
    std::optional<BanChoice> ban(QWidget *, const QString &title, const QString &text,
                                 const QStringList &addresses) override
    {
        asked.append({QStringLiteral("ban"), title,
                      text + QStringLiteral("\naddresses: ") + addresses.join(QLatin1Char(','))});
        return banAnswer;
    }
    std::optional<NewRoomChoice> newRoom(QWidget *) override
    {
        asked.append({QStringLiteral("room"), QStringLiteral("Create room"), QString()});
        return newRoomAnswer;
    }
    CloseChoice closing(QWidget *, const QString &text, bool) override
    {
        asked.append({QStringLiteral("close"), QStringLiteral("Close"), text});
        return closeAnswer;
    }
    void refused(QWidget *, const QString &, const QString &text) override
    {
        refusals.append(text);
    }
    void inform(QWidget *, const QString &, const QString &text) override { informed.append(text); }
    std::optional<QString> saveFileName(QWidget *, const QString &title, const QString &) override
    {
        asked.append({QStringLiteral("save"), title, QString()});
        return saveAnswer;
    }
};

} // namespace roomkeeper::test
