#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

#include <type_traits>

namespace roomkeeper {

// A table whose rows are replaced by whole new lists a few times a second (snapshots,
// ban lists, the audit trail) but must look to views like small edits, so selections,
// the current row and scroll positions survive. Rows are matched by key.
class SyncedTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    using QAbstractTableModel::QAbstractTableModel;

protected:
    // Brings 'rows' to 'next' with the fewest signals: one removal per run of rows whose
    // key is gone, one insertion per run of new keys, a move per row that changed place,
    // and one dataChanged per run of rows that differ ('same' compares two rows).
    template <typename Row, typename KeyOf, typename Same>
    void syncRows(QList<Row> &rows, const QList<Row> &next, KeyOf keyOf, Same same);

    // dataChanged for whole rows first..last.
    void rowsChanged(int first, int last)
    {
        emit dataChanged(index(first, 0), index(last, columnCount() - 1));
    }
    // dataChanged for one column of every row (e.g. names learnt later).
    void columnChanged(int column)
    {
        if (rowCount() > 0)
            emit dataChanged(index(0, column), index(rowCount() - 1, column));
    }
};

template <typename Row, typename KeyOf, typename Same>
void SyncedTableModel::syncRows(QList<Row> &rows, const QList<Row> &next, KeyOf keyOf, Same same)
{
    using Key = std::decay_t<decltype(keyOf(next.front()))>;
    QHash<Key, qsizetype> wanted;
    wanted.reserve(next.size());
    for (qsizetype i = 0; i < next.size(); ++i)
        wanted.insert(keyOf(next.at(i)), i);
    if (wanted.size() != next.size()) { // a key twice: keep its first row
        QList<Row> unique;
        QHash<Key, bool> seen;
        for (const Row &row : next) {
            if (!seen.contains(keyOf(row))) {
                seen.insert(keyOf(row), true);
                unique.append(row);
            }
        }
        syncRows(rows, unique, keyOf, same);
        return;
    }

    for (qsizetype i = rows.size() - 1; i >= 0; --i) {
        if (wanted.contains(keyOf(rows.at(i))))
            continue;
        const qsizetype last = i;
        while (i > 0 && !wanted.contains(keyOf(rows.at(i - 1))))
            --i;
        beginRemoveRows(QModelIndex(), int(i), int(last));
        rows.remove(i, last - i + 1);
        endRemoveRows();
    }

    QHash<Key, bool> present;
    present.reserve(rows.size());
    for (const Row &row : std::as_const(rows))
        present.insert(keyOf(row), true);

    QList<int> changed;
    for (qsizetype i = 0; i < next.size(); ++i) {
        const Key key = keyOf(next.at(i));
        if (!present.contains(key)) {
            qsizetype end = i + 1;
            while (end < next.size() && !present.contains(keyOf(next.at(end))))
                ++end;
            beginInsertRows(QModelIndex(), int(i), int(end - 1));
            for (qsizetype k = i; k < end; ++k) {
                rows.insert(k, next.at(k));
                present.insert(keyOf(next.at(k)), true);
            }
            endInsertRows();
            i = end - 1;
            continue;
        }
        if (keyOf(rows.at(i)) != key) {
            qsizetype from = i + 1;
            while (keyOf(rows.at(from)) != key)
                ++from;
            beginMoveRows(QModelIndex(), int(from), int(from), QModelIndex(), int(i));
            rows.move(from, i);
            endMoveRows();
        }
        if (!same(rows.at(i), next.at(i))) {
            rows[i] = next.at(i);
            changed.append(int(i));
        }
    }

    for (qsizetype k = 0; k < changed.size();) {
        qsizetype end = k + 1;
        while (end < changed.size() && changed.at(end) == changed.at(end - 1) + 1)
            ++end;
        rowsChanged(changed.at(k), changed.at(end - 1));
        k = end;
    }
}

} // namespace roomkeeper
