#include "reportsdialog.h"

#include "reportexporter.h"
#include "uitext.h"
#include "engine/engine.h"
#include "util/error.h"

#include <QCheckBox>
#include <QDateEdit>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>

namespace ndb {

ReportsDialog::ReportsDialog(Engine *engine, QWidget *parent)
    : QDialog(parent)
    , m_engine(engine)
{
    setWindowTitle(tr("Export Report"));
    setWindowIcon(UiText::icon(QStringLiteral("report")));
    m_from = new QDateEdit(QDate::currentDate().addMonths(-1), this);
    m_to = new QDateEdit(QDate::currentDate(), this);
    for (QDateEdit *e : {m_from, m_to})
        e->setCalendarPopup(true);
    QString docs = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (docs.isEmpty())
        docs = QDir::homePath();
    m_dir = new QLineEdit(docs, this);
    auto *browse = new QPushButton(tr("&Browse…"), this);
    m_csv = new QCheckBox(tr("&CSV (history and inventory, for spreadsheets)"), this);
    m_html = new QCheckBox(tr("&HTML"), this);
    m_pdf = new QCheckBox(tr("&PDF"), this);
    m_csv->setChecked(true);
    m_html->setChecked(true);
    m_pdf->setChecked(true);
    m_result = new QLabel(this);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *dirRow = new QHBoxLayout;
    dirRow->addWidget(m_dir, 1);
    dirRow->addWidget(browse);
    auto *formats = new QVBoxLayout;
    formats->addWidget(m_csv);
    formats->addWidget(m_html);
    formats->addWidget(m_pdf);

    auto *form = new QFormLayout;
    form->addRow(tr("&From:"), m_from);
    form->addRow(tr("&To:"), m_to);
    auto *dirLabel = new QLabel(tr("F&older:"), this);
    dirLabel->setBuddy(m_dir);
    form->addRow(dirLabel, dirRow);
    form->addRow(tr("Formats:"), formats);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *exportButton = buttons->addButton(tr("&Export"), QDialogButtonBox::ActionRole);
    exportButton->setDefault(true);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("The report lists every job in the period and the inventory of volumes "
                                    "with their backups."), this));
    layout->addLayout(form);
    layout->addWidget(m_result);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(exportButton, &QPushButton::clicked, this, [this] { exportNow(); });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Report Folder"), m_dir->text());
        if (!dir.isEmpty())
            m_dir->setText(dir);
    });
    auto formatsChanged = [exportButton, this] {
        exportButton->setEnabled(m_csv->isChecked() || m_html->isChecked() || m_pdf->isChecked());
    };
    connect(m_csv, &QCheckBox::toggled, this, formatsChanged);
    connect(m_html, &QCheckBox::toggled, this, formatsChanged);
    connect(m_pdf, &QCheckBox::toggled, this, formatsChanged);
    resize(520, 0);
}

void ReportsDialog::setRange(const QDate &from, const QDate &to)
{
    m_from->setDate(from);
    m_to->setDate(to);
}

void ReportsDialog::setDirectory(const QString &dir)
{
    m_dir->setText(dir);
}

void ReportsDialog::setFormats(int formats)
{
    m_csv->setChecked(formats & ReportExporter::Csv);
    m_html->setChecked(formats & ReportExporter::Html);
    m_pdf->setChecked(formats & ReportExporter::Pdf);
}

QString ReportsDialog::baseName() const
{
    return QStringLiteral("ndbackup-report-%1-%2")
        .arg(m_from->date().toString(Qt::ISODate), m_to->date().toString(Qt::ISODate));
}

QStringList ReportsDialog::exportNow()
{
    m_lastError.clear();
    int formats = 0;
    if (m_csv->isChecked())
        formats |= ReportExporter::Csv;
    if (m_html->isChecked())
        formats |= ReportExporter::Html;
    if (m_pdf->isChecked())
        formats |= ReportExporter::Pdf;
    try {
        if (m_from->date() > m_to->date())
            throw Error(tr("The period starts after it ends."));
        const ReportData data = m_engine->report(QDateTime(m_from->date(), QTime(0, 0)),
                                                 QDateTime(m_to->date(), QTime(23, 59, 59, 999)));
        const QStringList files = ReportExporter::exportReport(data, m_dir->text(), baseName(), formats);
        QStringList names;
        for (const QString &f : files)
            names << QDir::toNativeSeparators(f);
        m_result->setStyleSheet(QString());
        m_result->setText(tr("Written (%n job(s)):", nullptr, int(data.jobs.size())) + QLatin1Char('\n')
                          + names.join(QLatin1Char('\n')));
        adjustSize(); // show every written file
        return files;
    } catch (const Error &e) {
        m_lastError = e.message();
        m_result->setStyleSheet(QStringLiteral("color: #a40000"));
        m_result->setText(tr("The report could not be written: %1").arg(e.message()));
        return {};
    }
}

} // namespace ndb
