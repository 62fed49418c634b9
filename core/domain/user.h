#pragma once

#include <QString>
#include <QUuid>

namespace roomkeeper {

// A person as the server knows them: the identity that a token resumes.
struct User
{
    QUuid id;
    QString name;
    QString color; // display colour, "#rrggbb"
};

} // namespace roomkeeper
