#include "bandialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace roomkeeper {

BanDialog::BanDialog(const QString &title, const QString &text, const QStringList &addresses,
                     QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(title);
    auto *form = new QFormLayout(this);
    auto *what = new QLabel(text, this);
    what->setWordWrap(true);
    form->addRow(what);

    m_reason = new QLineEdit(this);
    m_reason->setPlaceholderText(QStringLiteral("optional; they will see it"));
    form->addRow(QStringLiteral("Reason:"), m_reason);

    m_duration = new QComboBox(this);
    const struct
    {
        const char *label;
        qint64 ms;
    } durations[] = {{"For good", 0},
                     {"10 minutes", 10 * 60 * 1000LL},
                     {"1 hour", 3600 * 1000LL},
                     {"1 day", 86400 * 1000LL},
                     {"7 days", 7 * 86400 * 1000LL},
                     {"30 days", 30 * 86400 * 1000LL}};
    for (const auto &d : durations)
        m_duration->addItem(QString::fromLatin1(d.label), d.ms);
    form->addRow(QStringLiteral("Duration:"), m_duration);

    m_addresses = new QCheckBox(
        addresses.isEmpty()
            ? QStringLiteral("Also ban their address (none known)")
            : QStringLiteral("Also ban their address: %1 (every room, ends its connections)")
                  .arg(addresses.join(QStringLiteral(", "))),
        this);
    m_addresses->setEnabled(!addresses.isEmpty());
    form->addRow(QString(), m_addresses);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Ban"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

BanDialog::~BanDialog() = default;

BanChoice BanDialog::choice() const
{
    return BanChoice{m_reason->text().trimmed(), m_duration->currentData().toLongLong(),
                     m_addresses->isEnabled() && m_addresses->isChecked()};
}

} // namespace roomkeeper
