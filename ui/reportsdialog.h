#pragma once
// Export history and inventory for a date range to CSV, HTML and PDF.
#include <QDialog>

class QCheckBox;
class QDateEdit;
class QLabel;
class QLineEdit;

namespace ndb {

class Engine;

class ReportsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ReportsDialog(Engine *engine, QWidget *parent = nullptr);

    void setRange(const QDate &from, const QDate &to);
    void setDirectory(const QString &dir);
    void setFormats(int formats); // ReportExporter::Format flags
    // Writes the files; returns their paths (empty on error, the error shown in the dialog).
    QStringList exportNow();
    QString lastError() const { return m_lastError; }
    QString baseName() const;

private:
    Engine *m_engine;
    QDateEdit *m_from;
    QDateEdit *m_to;
    QLineEdit *m_dir;
    QCheckBox *m_csv;
    QCheckBox *m_html;
    QCheckBox *m_pdf;
    QLabel *m_result;
    QString m_lastError;
};

} // namespace ndb
