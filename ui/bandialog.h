#pragma once

#include "prompter.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace roomkeeper {

// Ban someone: the reason, how long, and whether to ban the addresses they connect
// from too. The text above says whom it hits.
class BanDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BanDialog)

public:
    BanDialog(const QString &title, const QString &text, const QStringList &addresses,
              QWidget *parent = nullptr);
    ~BanDialog() override;

    BanChoice choice() const;

private:
    QLineEdit *m_reason = nullptr;
    QComboBox *m_duration = nullptr;
    QCheckBox *m_addresses = nullptr;
};

} // namespace roomkeeper
