#include "dialogprompter.h"

#include "bandialog.h"

#include <QCheckBox>
#include <QColorDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>

namespace roomkeeper {

bool DialogPrompter::confirm(QWidget *parent, const QString &title, const QString &text,
                             const QString &acceptLabel)
{
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Cancel, parent);
    QPushButton *go = box.addButton(acceptLabel, QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == go;
}

std::optional<QString> DialogPrompter::confirmWithReason(QWidget *parent, const QString &title,
                                                         const QString &text,
                                                         const QString &acceptLabel)
{
    QInputDialog dialog(parent);
    dialog.setWindowTitle(title);
    dialog.setLabelText(text + QStringLiteral("\n\nReason (optional, they will see it):"));
    dialog.setOkButtonText(acceptLabel);
    dialog.setInputMode(QInputDialog::TextInput);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return dialog.textValue().trimmed();
}

std::optional<QString> DialogPrompter::text(QWidget *parent, const QString &title,
                                            const QString &label, const QString &initial)
{
    bool ok = false;
    const QString value =
        QInputDialog::getText(parent, title, label, QLineEdit::Normal, initial, &ok);
    if (!ok)
        return std::nullopt;
    return value.trimmed();
}

std::optional<int> DialogPrompter::number(QWidget *parent, const QString &title,
                                          const QString &label, int initial, int minimum,
                                          int maximum)
{
    bool ok = false;
    const int value = QInputDialog::getInt(parent, title, label, initial, minimum, maximum, 1, &ok);
    if (!ok)
        return std::nullopt;
    return value;
}

std::optional<QColor> DialogPrompter::color(QWidget *parent, const QString &title,
                                            const QColor &initial)
{
    const QColor chosen = QColorDialog::getColor(initial, parent, title);
    if (!chosen.isValid())
        return std::nullopt;
    return chosen;
}

std::optional<BanChoice> DialogPrompter::ban(QWidget *parent, const QString &title,
                                             const QString &text, const QStringList &addresses)
{
    BanDialog dialog(title, text, addresses, parent);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return dialog.choice();
}

std::optional<NewRoomChoice> DialogPrompter::newRoom(QWidget *parent)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(QStringLiteral("Create room"));
    auto *form = new QFormLayout(&dialog);
    auto *name = new QLineEdit(&dialog);
    name->setPlaceholderText(QStringLiteral("e.g. lobby"));
    auto *closed =
        new QCheckBox(QStringLiteral("Locked: only admins and invited people get in"), &dialog);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Create"));
    buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    QObject::connect(name, &QLineEdit::textChanged, buttons, [buttons](const QString &text) {
        buttons->button(QDialogButtonBox::Ok)->setEnabled(!text.trimmed().isEmpty());
    });
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(QStringLiteral("Name:"), name);
    form->addRow(QString(), closed);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return NewRoomChoice{name->text().trimmed(), closed->isChecked()};
}

CloseChoice DialogPrompter::closing(QWidget *parent, const QString &text, bool trayAvailable)
{
    QMessageBox box(QMessageBox::Question, QStringLiteral("Close Roomkeeper"), text,
                    QMessageBox::Cancel, parent);
    QPushButton *keep = trayAvailable ? box.addButton(QStringLiteral("Keep hosting in the tray"),
                                                      QMessageBox::AcceptRole)
                                      : nullptr;
    QPushButton *stop = box.addButton(QStringLiteral("Stop hosting"), QMessageBox::DestructiveRole);
    box.setDefaultButton(keep ? keep : stop);
    box.exec();
    if (keep && box.clickedButton() == keep)
        return CloseChoice::KeepHosting;
    if (box.clickedButton() == stop)
        return CloseChoice::Stop;
    return CloseChoice::Cancel;
}

void DialogPrompter::refused(QWidget *parent, const QString &title, const QString &text)
{
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void DialogPrompter::inform(QWidget *parent, const QString &title, const QString &text)
{
    auto *box = new QMessageBox(QMessageBox::Information, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    box->setFont(fixed);
    box->open();
}

std::optional<QString> DialogPrompter::saveFileName(QWidget *parent, const QString &title,
                                                    const QString &suggested)
{
    const QString path = QFileDialog::getSaveFileName(parent, title, suggested);
    if (path.isEmpty())
        return std::nullopt;
    return path;
}

} // namespace roomkeeper
