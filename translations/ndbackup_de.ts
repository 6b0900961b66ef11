<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
    <context>
        <name>main</name>
        <message>
            <source>Back up block volumes without detaching them.</source>
            <translation>Blockvolumes sichern, ohne sie zu trennen.</translation>
        </message>
        <message>
            <source>Use a demo image pool with an attached and an available volume.</source>
            <translation>Einen Demo-Image-Pool mit einem angebundenen und einem verfügbaren Volume verwenden.</translation>
        </message>
        <message>
            <source>Read settings from &lt;file&gt;.</source>
            <translation>Einstellungen aus &lt;Datei&gt; lesen.</translation>
        </message>
        <message>
            <source>Demo pool: %1</source>
            <translation>Demo-Pool: %1</translation>
        </message>
        <message>
            <source>The demo pool could not be created: %1</source>
            <translation>Der Demo-Pool konnte nicht angelegt werden: %1</translation>
        </message>
        <message>
            <source>ndbackup cannot start</source>
            <translation>ndbackup kann nicht starten</translation>
        </message>
        <message>
            <source>The engine could not start:
%1

Settings file: %2</source>
            <translation>Die Engine konnte nicht starten:
%1

Einstellungsdatei: %2</translation>
        </message>
    </context>
    <context>
        <name>ndb::BackupChartView</name>
        <message>
            <source>Backup size over time</source>
            <translation>Sicherungsgröße im Zeitverlauf</translation>
        </message>
        <message>
            <source>Backup duration over time</source>
            <translation>Sicherungsdauer im Zeitverlauf</translation>
        </message>
        <message>
            <source>stored MiB</source>
            <translation>gespeicherte MiB</translation>
        </message>
        <message>
            <source>duration (%1)</source>
            <translation>Dauer (%1)</translation>
        </message>
    </context>
    <context>
        <name>ndb::BackupDetailsPage</name>
        <message>
            <source>Container and name</source>
            <translation>Container und Name</translation>
        </message>
        <message>
            <source>Where the backup is stored and how you will recognise it later.</source>
            <translation>Wo die Sicherung abgelegt wird und woran Sie sie später erkennen.</translation>
        </message>
        <message>
            <source>A container is a directory in the repository; backups in one container share deduplicated data.</source>
            <translation>Ein Container ist ein Verzeichnis im Repository; Sicherungen in einem Container teilen sich deduplizierte Daten.</translation>
        </message>
        <message>
            <source>backup %1</source>
            <translation>Sicherung %1</translation>
        </message>
        <message>
            <source>Optional: why this backup was taken</source>
            <translation>Optional: warum diese Sicherung angelegt wurde</translation>
        </message>
        <message>
            <source>&amp;Container:</source>
            <translation>&amp;Container:</translation>
        </message>
        <message>
            <source>&amp;Description:</source>
            <translation>&amp;Beschreibung:</translation>
        </message>
        <message>
            <source>container</source>
            <translation>Container</translation>
        </message>
        <message>
            <source>The backup needs a name.</source>
            <translation>Die Sicherung braucht einen Namen.</translation>
        </message>
        <message>
            <source>backup name</source>
            <translation>Sicherungsname</translation>
        </message>
        <message>
            <source>description</source>
            <translation>Beschreibung</translation>
        </message>
        <message>
            <source> MB/s</source>
            <translation> MB/s</translation>
        </message>
        <message>
            <source>unlimited</source>
            <translation>unbegrenzt</translation>
        </message>
        <message>
            <source>Limits how fast the volume is read, so that its users keep their I/O.</source>
            <translation>Begrenzt, wie schnell das Volume gelesen wird, damit seinen Benutzern genug E/A bleibt.</translation>
        </message>
        <message>
            <source>&amp;Read at most:</source>
            <translation>Höchstens &amp;lesen:</translation>
        </message>
        <message>
            <source>Na&amp;me:</source>
            <translation>Na&amp;me:</translation>
        </message>
    </context>
    <context>
        <name>ndb::BackupForcePage</name>
        <message>
            <source>Back up volumes that are in use</source>
            <translation>Volumes sichern, die in Benutzung sind</translation>
        </message>
        <message>
            <source>Some of the chosen volumes are attached and in use.</source>
            <translation>Einige der gewählten Volumes sind angebunden und in Benutzung.</translation>
        </message>
        <message>
            <source>&amp;Force: back up the in-use volumes while they stay attached</source>
            <translation>&amp;Erzwingen: die benutzten Volumes sichern, während sie angebunden bleiben</translation>
        </message>
        <message>
            <source>attached to %1</source>
            <translation>angebunden an %1</translation>
        </message>
        <message>
            <source>&lt;p&gt;These volumes are attached and may be written to while the backup runs:&lt;/p&gt;&lt;ul&gt;%1&lt;/ul&gt;&lt;p&gt;ndbackup does not detach them. It takes a temporary snapshot (or, where the storage cannot snapshot, a temporary copy) at one instant, backs that up and removes it afterwards. Mounted filesystems are frozen for that instant when possible; applications that keep data in memory (databases) should flush it first, otherwise the backup is only crash-consistent.&lt;/p&gt;&lt;p&gt;Because of this, backing up an in-use volume must be confirmed with the force option.&lt;/p&gt;</source>
            <translation>&lt;p&gt;Diese Volumes sind angebunden und können beschrieben werden, während die Sicherung läuft:&lt;/p&gt;&lt;ul&gt;%1&lt;/ul&gt;&lt;p&gt;ndbackup trennt sie nicht. Es legt zu einem Zeitpunkt einen temporären Snapshot an (oder, wo der Speicher keine Snapshots kann, eine temporäre Kopie), sichert diesen und entfernt ihn danach wieder. Eingehängte Dateisysteme werden für diesen Moment nach Möglichkeit eingefroren; Anwendungen, die Daten im Speicher halten (Datenbanken), sollten sie vorher schreiben, sonst ist die Sicherung nur absturzkonsistent.&lt;/p&gt;&lt;p&gt;Deshalb muss das Sichern eines benutzten Volumes mit der Option „Erzwingen“ bestätigt werden.&lt;/p&gt;</translation>
        </message>
    </context>
    <context>
        <name>ndb::BackupSummaryPage</name>
        <message>
            <source>Summary</source>
            <translation>Zusammenfassung</translation>
        </message>
        <message>
            <source>Start the backup with the button below; each volume becomes its own job.</source>
            <translation>Starten Sie die Sicherung mit der Schaltfläche unten; jedes Volume wird ein eigener Auftrag.</translation>
        </message>
        <message>
            <source>(none)</source>
            <translation>(keine)</translation>
        </message>
        <message>
            <source>&lt;p&gt;Volumes:&lt;/p&gt;&lt;ul&gt;%1&lt;/ul&gt;&lt;p&gt;Container: &lt;b&gt;%2&lt;/b&gt;&lt;br&gt;Name: &lt;b&gt;%3&lt;/b&gt;&lt;br&gt;Description: %4&lt;br&gt;Read rate: %5&lt;/p&gt;</source>
            <translation>&lt;p&gt;Volumes:&lt;/p&gt;&lt;ul&gt;%1&lt;/ul&gt;&lt;p&gt;Container: &lt;b&gt;%2&lt;/b&gt;&lt;br&gt;Name: &lt;b&gt;%3&lt;/b&gt;&lt;br&gt;Beschreibung: %4&lt;br&gt;Leserate: %5&lt;/p&gt;</translation>
        </message>
        <message>
            <source>unlimited</source>
            <translation>unbegrenzt</translation>
        </message>
        <message>
            <source>asking the storage which data path it takes …</source>
            <translation>der Speicher wird nach dem Datenweg gefragt …</translation>
        </message>
        <message>
            <source>the storage could not say: %1</source>
            <translation>der Speicher konnte es nicht sagen: %1</translation>
        </message>
        <message>
            <source>it will be refused (copies that are not point-in-time are refused in the settings)</source>
            <translation>sie wird abgelehnt (nicht zeitpunktgenaue Kopien sind in den Einstellungen abgelehnt)</translation>
        </message>
    </context>
    <context>
        <name>ndb::BackupVolumesPage</name>
        <message>
            <source>Volumes</source>
            <translation>Volumes</translation>
        </message>
        <message>
            <source>Choose the volumes to back up. Attached volumes stay attached and in use.</source>
            <translation>Wählen Sie die zu sichernden Volumes. Angebundene Volumes bleiben angebunden und in Benutzung.</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Size</source>
            <translation>Größe</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Host</source>
            <translation>Host</translation>
        </message>
        <message>
            <source>Driver</source>
            <translation>Treiber</translation>
        </message>
        <message>
            <source>Volumes that are being backed up or restored right now are not listed.</source>
            <translation>Volumes, die gerade gesichert oder wiederhergestellt werden, sind nicht aufgeführt.</translation>
        </message>
    </context>
    <context>
        <name>ndb::BackupWizard</name>
        <message>
            <source>Back Up Volumes</source>
            <translation>Volumes sichern</translation>
        </message>
        <message>
            <source>&amp;Start Backup</source>
            <translation>Sicherung &amp;starten</translation>
        </message>
        <message>
            <source>no engine</source>
            <translation>keine Engine</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1: %2</translation>
        </message>
    </context>
    <context>
        <name>ndb::HistoryView</name>
        <message>
            <source>All volumes</source>
            <translation>Alle Volumes</translation>
        </message>
        <message>
            <source>Any status</source>
            <translation>Jeder Status</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>Aktualisieren</translation>
        </message>
        <message>
            <source>&amp;To:</source>
            <translation>&amp;Bis:</translation>
        </message>
        <message>
            <source>Job</source>
            <translation>Auftrag</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>Art</translation>
        </message>
        <message>
            <source>Volume</source>
            <translation>Volume</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Started</source>
            <translation>Gestartet</translation>
        </message>
        <message>
            <source>Duration</source>
            <translation>Dauer</translation>
        </message>
        <message>
            <source>Bytes</source>
            <translation>Bytes</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Grund</translation>
        </message>
        <message>
            <source>Select a job to see its event log.</source>
            <translation>Wählen Sie einen Auftrag, um sein Ereignisprotokoll zu sehen.</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Phase</source>
            <translation>Phase</translation>
        </message>
        <message>
            <source>Level</source>
            <translation>Stufe</translation>
        </message>
        <message>
            <source>Message</source>
            <translation>Meldung</translation>
        </message>
        <message>
            <source>&amp;Jobs</source>
            <translation>Au&amp;fträge</translation>
        </message>
        <message>
            <source>&amp;Charts</source>
            <translation>Dia&amp;gramme</translation>
        </message>
        <message>
            <source>Could not read the history: %1</source>
            <translation>Der Verlauf konnte nicht gelesen werden: %1</translation>
        </message>
        <message>
            <source>Could not read the events of job %1: %2</source>
            <translation>Die Ereignisse von Auftrag %1 konnten nicht gelesen werden: %2</translation>
        </message>
        <message numerus="yes">
            <source>Event log of job %1 (%n event(s))</source>
            <translation>
                <numerusform>Ereignisprotokoll von Auftrag %1 (%n Ereignis)</numerusform>
                <numerusform>Ereignisprotokoll von Auftrag %1 (%n Ereignisse)</numerusform>
            </translation>
        </message>
        <message>
            <source>Consistency</source>
            <translation>Konsistenz</translation>
        </message>
        <message>
            <source>Backup %1: %2 · Consistency: %3 · Started %4, took %5</source>
            <translation>Sicherung %1: %2 · Konsistenz: %3 · Begonnen %4, Dauer %5</translation>
        </message>
        <message>
            <source>Vol&amp;ume:</source>
            <translation>Vol&amp;ume:</translation>
        </message>
        <message>
            <source>St&amp;atus:</source>
            <translation>S&amp;tatus:</translation>
        </message>
        <message>
            <source>Fro&amp;m:</source>
            <translation>Vo&amp;n:</translation>
        </message>
    </context>
    <context>
        <name>ndb::JobWidget</name>
        <message>
            <source>Cancel</source>
            <translation>Abbrechen</translation>
        </message>
        <message>
            <source>Stop this job; its temporary snapshot or volume is removed</source>
            <translation>Diesen Auftrag beenden; sein temporärer Snapshot bzw. sein temporäres Volume wird entfernt</translation>
        </message>
        <message>
            <source>%p%</source>
            <translation>%p %</translation>
        </message>
        <message>
            <source>Waiting to start…</source>
            <translation>Wartet auf den Start …</translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>Wird abgebrochen …</translation>
        </message>
        <message>
            <source>in progress</source>
            <translation>läuft</translation>
        </message>
        <message>
            <source>done</source>
            <translation>erledigt</translation>
        </message>
        <message>
            <source>failed</source>
            <translation>fehlgeschlagen</translation>
        </message>
        <message>
            <source>not needed for this volume</source>
            <translation>für dieses Volume nicht nötig</translation>
        </message>
        <message>
            <source>pending</source>
            <translation>ausstehend</translation>
        </message>
        <message>
            <source>read %1 of %2</source>
            <translation>%1 von %2 gelesen</translation>
        </message>
        <message>
            <source>stored %1</source>
            <translation>%1 gespeichert</translation>
        </message>
        <message>
            <source>%1 left</source>
            <translation>noch %1</translation>
        </message>
        <message>
            <source>Dismiss</source>
            <translation>Ausblenden</translation>
        </message>
        <message>
            <source>Remove this card from the panel; the job stays in the history</source>
            <translation>Diese Karte aus dem Bereich entfernen; der Auftrag bleibt im Verlauf</translation>
        </message>
        <message>
            <source>written %1 of %2 to the target</source>
            <translation>%1 von %2 auf das Ziel geschrieben</translation>
        </message>
    </context>
    <context>
        <name>ndb::JobsPanel</name>
        <message>
            <source>No jobs are running. Start a backup with the Back Up… action.</source>
            <translation>Es laufen keine Aufträge. Starten Sie eine Sicherung mit der Aktion „Sichern …“.</translation>
        </message>
        <message>
            <source>#%1 %2 of %3</source>
            <translation>#%1 %2 von %3</translation>
        </message>
    </context>
    <context>
        <name>ndb::MainWindow</name>
        <message>
            <source>Volumes</source>
            <translation>Volumes</translation>
        </message>
        <message>
            <source>Filter by name, host, driver or status (Ctrl+F)</source>
            <translation>Nach Name, Host, Treiber oder Status filtern (Strg+F)</translation>
        </message>
        <message>
            <source>&amp;Volumes</source>
            <translation>&amp;Volumes</translation>
        </message>
        <message>
            <source>&amp;History</source>
            <translation>&amp;Verlauf</translation>
        </message>
        <message>
            <source>Jobs</source>
            <translation>Aufträge</translation>
        </message>
        <message>
            <source>&amp;Back Up…</source>
            <translation>&amp;Sichern …</translation>
        </message>
        <message>
            <source>Back up the selected volumes (attached volumes stay attached)</source>
            <translation>Die gewählten Volumes sichern (angebundene Volumes bleiben angebunden)</translation>
        </message>
        <message>
            <source>&amp;Restore…</source>
            <translation>&amp;Wiederherstellen …</translation>
        </message>
        <message>
            <source>Restore a backup to a volume or a file</source>
            <translation>Eine Sicherung in ein Volume oder eine Datei wiederherstellen</translation>
        </message>
        <message>
            <source>Re&amp;fresh</source>
            <translation>&amp;Aktualisieren</translation>
        </message>
        <message>
            <source>Ask the storage for its volumes again</source>
            <translation>Den Speicher erneut nach seinen Volumes fragen</translation>
        </message>
        <message>
            <source>Jobs, their event logs and charts</source>
            <translation>Aufträge, ihre Ereignisprotokolle und Diagramme</translation>
        </message>
        <message>
            <source>&amp;Export Report…</source>
            <translation>Bericht &amp;exportieren …</translation>
        </message>
        <message>
            <source>History and inventory as CSV, HTML and PDF</source>
            <translation>Verlauf und Bestand als CSV, HTML und PDF</translation>
        </message>
        <message>
            <source>&amp;Settings…</source>
            <translation>&amp;Einstellungen …</translation>
        </message>
        <message>
            <source>Filter Volumes</source>
            <translation>Volumes filtern</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>&amp;Beenden</translation>
        </message>
        <message>
            <source>&amp;About ndbackup</source>
            <translation>Ü&amp;ber ndbackup</translation>
        </message>
        <message>
            <source>About ndbackup</source>
            <translation>Über ndbackup</translation>
        </message>
        <message>
            <source>&lt;h3&gt;ndbackup %1&lt;/h3&gt;&lt;p&gt;Backs up block volumes while they stay attached: a temporary snapshot or copy is read and always cleaned up.&lt;/p&gt;</source>
            <translation>&lt;h3&gt;ndbackup %1&lt;/h3&gt;&lt;p&gt;Sichert Blockvolumes, während sie angebunden bleiben: Ein temporärer Snapshot oder eine temporäre Kopie wird gelesen und immer wieder aufgeräumt.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>Show &amp;History of Volume</source>
            <translation>&amp;Verlauf des Volumes anzeigen</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>&amp;Datei</translation>
        </message>
        <message>
            <source>Vie&amp;w</source>
            <translation>&amp;Ansicht</translation>
        </message>
        <message>
            <source>&amp;Jobs Panel</source>
            <translation>&amp;Auftragsleiste</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>&amp;Hilfe</translation>
        </message>
        <message>
            <source>Main Toolbar</source>
            <translation>Hauptwerkzeugleiste</translation>
        </message>
        <message>
            <source>ndbackup</source>
            <translation>ndbackup</translation>
        </message>
        <message>
            <source>Show ndbackup</source>
            <translation>ndbackup anzeigen</translation>
        </message>
        <message>
            <source>Asking the storage for its volumes…</source>
            <translation>Der Speicher wird nach seinen Volumes gefragt …</translation>
        </message>
        <message numerus="yes">
            <source>%n volume(s)</source>
            <translation>
                <numerusform>%n Volume</numerusform>
                <numerusform>%n Volumes</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n in use</source>
            <translation>
                <numerusform>%n in Benutzung</numerusform>
                <numerusform>%n in Benutzung</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n busy</source>
            <translation>
                <numerusform>%n beschäftigt</numerusform>
                <numerusform>%n beschäftigt</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n selected</source>
            <translation>
                <numerusform>%n ausgewählt</numerusform>
                <numerusform>%n ausgewählt</numerusform>
            </translation>
        </message>
        <message>
            <source>updated %1</source>
            <translation>aktualisiert %1</translation>
        </message>
        <message>
            <source>storage error: %1</source>
            <translation>Speicherfehler: %1</translation>
        </message>
        <message numerus="yes">
            <source>%n job(s) running</source>
            <translation>
                <numerusform>%n Auftrag läuft</numerusform>
                <numerusform>%n Aufträge laufen</numerusform>
            </translation>
        </message>
        <message>
            <source>%1 job #%2</source>
            <translation>Auftrag #%2 (%1)</translation>
        </message>
        <message>
            <source>Job failed</source>
            <translation>Auftrag fehlgeschlagen</translation>
        </message>
        <message>
            <source>%1 of %2 failed: %3</source>
            <translation>%1 für %2 ist fehlgeschlagen: %3</translation>
        </message>
        <message>
            <source>Job finished</source>
            <translation>Auftrag abgeschlossen</translation>
        </message>
        <message>
            <source>%1 of %2 finished successfully.</source>
            <translation>%1 für %2 wurde erfolgreich abgeschlossen.</translation>
        </message>
        <message>
            <source>%1 of %2 was cancelled.</source>
            <translation>%1 für %2 wurde abgebrochen.</translation>
        </message>
        <message>
            <source>Backup Not Started</source>
            <translation>Sicherung nicht gestartet</translation>
        </message>
        <message>
            <source>Some backups could not be started:</source>
            <translation>Einige Sicherungen konnten nicht gestartet werden:</translation>
        </message>
        <message>
            <source>Settings saved to %1</source>
            <translation>Einstellungen in %1 gespeichert</translation>
        </message>
        <message>
            <source>Reset &amp;Status…</source>
            <translation>&amp;Status zurücksetzen…</translation>
        </message>
        <message>
            <source>Reset Volume Status</source>
            <translation>Volume-Status zurücksetzen</translation>
        </message>
        <message>
            <source>Reset the status of %1 from '%2' to 'available'?</source>
            <translation>Den Status von %1 von „%2“ auf „verfügbar“ zurücksetzen?</translation>
        </message>
        <message>
            <source>Do this only when you know that the data on the volume is usable, e.g. after you restored it another way. A volume that holds a partial restore stays damaged. The reset is recorded in the history.</source>
            <translation>Tun Sie das nur, wenn Sie wissen, dass die Daten auf dem Volume brauchbar sind, z. B. nachdem Sie es auf anderem Weg wiederhergestellt haben. Ein Volume mit einer unvollständigen Wiederherstellung bleibt beschädigt. Das Zurücksetzen wird im Verlauf festgehalten.</translation>
        </message>
        <message>
            <source>Volume Status Reset</source>
            <translation>Volume-Status zurückgesetzt</translation>
        </message>
        <message>
            <source>%1 is '%2' again.</source>
            <translation>%1 ist wieder „%2“.</translation>
        </message>
        <message>
            <source>Volume Status Not Reset</source>
            <translation>Volume-Status nicht zurückgesetzt</translation>
        </message>
        <message>
            <source>Job completed with warnings</source>
            <translation>Auftrag mit Warnungen abgeschlossen</translation>
        </message>
        <message>
            <source>%1 of %2 completed with warnings: %3</source>
            <translation>%1 von %2 mit Warnungen abgeschlossen: %3</translation>
        </message>
        <message>
            <source>Volume Backup — %1</source>
            <translation>Volumensicherung — %1</translation>
        </message>
        <message>
            <source>Loading volumes…</source>
            <translation>Volumes werden geladen …</translation>
        </message>
        <message>
            <source>F&amp;ilter:</source>
            <translation>F&amp;ilter:</translation>
        </message>
        <message>
            <source>V&amp;olumes</source>
            <translation>V&amp;olumes</translation>
        </message>
        <message>
            <source>Hi&amp;story</source>
            <translation>Ver&amp;lauf</translation>
        </message>
        <message>
            <source>Jobs Are Running</source>
            <translation>Aufträge laufen</translation>
        </message>
        <message numerus="yes">
            <source>%n job(s) not finished yet:</source>
            <translation>
                <numerusform>%n Auftrag ist noch nicht fertig:</numerusform>
                <numerusform>%n Aufträge sind noch nicht fertig:</numerusform>
            </translation>
        </message>
        <message>
            <source>Cancelling removes their temporary snapshots and volumes; a cancelled backup is not kept and a cancelled restore leaves its target incomplete.</source>
            <translation>Abbrechen entfernt ihre temporären Snapshots und Volumes; eine abgebrochene Sicherung wird nicht behalten, und eine abgebrochene Wiederherstellung hinterlässt ihr Ziel unvollständig.</translation>
        </message>
        <message>
            <source>Cancel Jobs and Quit</source>
            <translation>Aufträge abbrechen und beenden</translation>
        </message>
        <message>
            <source>Keep Running in the Tray</source>
            <translation>Im Infobereich weiterlaufen lassen</translation>
        </message>
        <message>
            <source>Don't Close</source>
            <translation>Nicht schließen</translation>
        </message>
        <message numerus="yes">
            <source>Cancelling %n job(s) and cleaning up before quitting…</source>
            <translation>
                <numerusform>%n Auftrag wird abgebrochen und aufgeräumt, danach wird ndbackup beendet …</numerusform>
                <numerusform>%n Aufträge werden abgebrochen und aufgeräumt, danach wird ndbackup beendet …</numerusform>
            </translation>
        </message>
        <message>
            <source>ndbackup keeps running</source>
            <translation>ndbackup läuft weiter</translation>
        </message>
        <message numerus="yes">
            <source>%n job(s) continue in the background; ndbackup quits when they end.</source>
            <translation>
                <numerusform>%n Auftrag läuft im Hintergrund weiter; ndbackup wird beendet, wenn er fertig ist.</numerusform>
                <numerusform>%n Aufträge laufen im Hintergrund weiter; ndbackup wird beendet, wenn sie fertig sind.</numerusform>
            </translation>
        </message>
        <message>
            <source>asking the storage…</source>
            <translation>Speicher wird abgefragt …</translation>
        </message>
        <message>
            <source>not trusted: add it in Settings, Storage Nodes</source>
            <translation>nicht vertraut: in den Einstellungen unter Speicherknoten hinzufügen</translation>
        </message>
        <message numerus="yes">
            <source>%n storage node(s) offline</source>
            <translation>
                <numerusform>%n Speicherknoten nicht erreichbar</numerusform>
                <numerusform>%n Speicherknoten nicht erreichbar</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>ndb::Report</name>
        <message>
            <source>ndbackup report</source>
            <translation>ndbackup-Bericht</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>Zeitraum</translation>
        </message>
        <message>
            <source>beginning</source>
            <translation>Anfang</translation>
        </message>
        <message>
            <source>now</source>
            <translation>jetzt</translation>
        </message>
        <message>
            <source>Generated</source>
            <translation>Erstellt</translation>
        </message>
        <message>
            <source>Jobs</source>
            <translation>Aufträge</translation>
        </message>
        <message>
            <source>succeeded</source>
            <translation>erfolgreich</translation>
        </message>
        <message>
            <source>failed</source>
            <translation>fehlgeschlagen</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>abgebrochen</translation>
        </message>
        <message>
            <source>Inventory</source>
            <translation>Bestand</translation>
        </message>
        <message>
            <source>Volume</source>
            <translation>Volume</translation>
        </message>
        <message>
            <source>Host</source>
            <translation>Host</translation>
        </message>
        <message>
            <source>Driver</source>
            <translation>Treiber</translation>
        </message>
        <message>
            <source>Size</source>
            <translation>Größe</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Backups</source>
            <translation>Sicherungen</translation>
        </message>
        <message>
            <source>Last backup</source>
            <translation>Letzte Sicherung</translation>
        </message>
        <message>
            <source>Last result</source>
            <translation>Letztes Ergebnis</translation>
        </message>
        <message>
            <source>History</source>
            <translation>Verlauf</translation>
        </message>
        <message>
            <source>Job</source>
            <translation>Auftrag</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>Art</translation>
        </message>
        <message>
            <source>Started</source>
            <translation>Gestartet</translation>
        </message>
        <message>
            <source>Duration</source>
            <translation>Dauer</translation>
        </message>
        <message>
            <source>Bytes</source>
            <translation>Bytes</translation>
        </message>
        <message>
            <source>Error</source>
            <translation>Fehler</translation>
        </message>
        <message>
            <source>with warnings</source>
            <translation>mit Warnungen</translation>
        </message>
        <message>
            <source>Consistency</source>
            <translation>Konsistenz</translation>
        </message>
    </context>
    <context>
        <name>ndb::ReportExporter</name>
        <message>
            <source>Cannot write %1: %2</source>
            <translation>%1 kann nicht geschrieben werden: %2</translation>
        </message>
        <message>
            <source>ndbackup report</source>
            <translation>ndbackup-Bericht</translation>
        </message>
        <message>
            <source>Cannot write %1</source>
            <translation>%1 kann nicht geschrieben werden</translation>
        </message>
        <message>
            <source>Cannot create the folder %1</source>
            <translation>Der Ordner %1 kann nicht angelegt werden</translation>
        </message>
    </context>
    <context>
        <name>ndb::ReportsDialog</name>
        <message>
            <source>Export Report</source>
            <translation>Bericht exportieren</translation>
        </message>
        <message>
            <source>&amp;Browse…</source>
            <translation>&amp;Durchsuchen …</translation>
        </message>
        <message>
            <source>&amp;CSV (history and inventory, for spreadsheets)</source>
            <translation>&amp;CSV (Verlauf und Bestand, für Tabellenkalkulationen)</translation>
        </message>
        <message>
            <source>&amp;HTML</source>
            <translation>&amp;HTML</translation>
        </message>
        <message>
            <source>&amp;PDF</source>
            <translation>&amp;PDF</translation>
        </message>
        <message>
            <source>&amp;From:</source>
            <translation>&amp;Von:</translation>
        </message>
        <message>
            <source>&amp;To:</source>
            <translation>&amp;Bis:</translation>
        </message>
        <message>
            <source>F&amp;older:</source>
            <translation>&amp;Ordner:</translation>
        </message>
        <message>
            <source>Formats:</source>
            <translation>Formate:</translation>
        </message>
        <message>
            <source>&amp;Export</source>
            <translation>&amp;Exportieren</translation>
        </message>
        <message>
            <source>The report lists every job in the period and the inventory of volumes with their backups.</source>
            <translation>Der Bericht listet alle Aufträge im Zeitraum und den Bestand der Volumes mit ihren Sicherungen.</translation>
        </message>
        <message>
            <source>Report Folder</source>
            <translation>Berichtsordner</translation>
        </message>
        <message>
            <source>The period starts after it ends.</source>
            <translation>Der Zeitraum beginnt nach seinem Ende.</translation>
        </message>
        <message numerus="yes">
            <source>Written (%n job(s)):</source>
            <translation>
                <numerusform>Geschrieben (%n Auftrag):</numerusform>
                <numerusform>Geschrieben (%n Aufträge):</numerusform>
            </translation>
        </message>
        <message>
            <source>The report could not be written: %1</source>
            <translation>Der Bericht konnte nicht geschrieben werden: %1</translation>
        </message>
    </context>
    <context>
        <name>ndb::RestoreBackupPage</name>
        <message>
            <source>Backup</source>
            <translation>Sicherung</translation>
        </message>
        <message>
            <source>Choose the backup to restore.</source>
            <translation>Wählen Sie die wiederherzustellende Sicherung.</translation>
        </message>
        <message>
            <source>Volume</source>
            <translation>Volume</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Created</source>
            <translation>Angelegt</translation>
        </message>
        <message>
            <source>Size</source>
            <translation>Größe</translation>
        </message>
        <message>
            <source>Container</source>
            <translation>Container</translation>
        </message>
        <message>
            <source>There is no backup that can be restored yet.</source>
            <translation>Es gibt noch keine Sicherung, die wiederhergestellt werden kann.</translation>
        </message>
    </context>
    <context>
        <name>ndb::RestoreConfirmPage</name>
        <message>
            <source>Confirm</source>
            <translation>Bestätigen</translation>
        </message>
        <message>
            <source>&amp;Restore</source>
            <translation>&amp;Wiederherstellen</translation>
        </message>
        <message>
            <source>backup &lt;b&gt;%1&lt;/b&gt; of volume &lt;b&gt;%2&lt;/b&gt;, taken %3 (%4)</source>
            <translation>Sicherung &lt;b&gt;%1&lt;/b&gt; des Volumes &lt;b&gt;%2&lt;/b&gt; vom %3 (%4)</translation>
        </message>
        <message>
            <source>&lt;p&gt;The volume &lt;b&gt;%1&lt;/b&gt; (%2, %3) will be &lt;b&gt;overwritten&lt;/b&gt; with the contents of %4.&lt;/p&gt;&lt;p&gt;Everything currently stored on %1 is lost.&lt;/p&gt;</source>
            <translation>&lt;p&gt;Das Volume &lt;b&gt;%1&lt;/b&gt; (%2, %3) wird mit dem Inhalt von %4 &lt;b&gt;überschrieben&lt;/b&gt;.&lt;/p&gt;&lt;p&gt;Alles, was derzeit auf %1 gespeichert ist, geht verloren.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>I understand that the volume %1 will be overwritten</source>
            <translation>Mir ist bewusst, dass das Volume %1 überschrieben wird</translation>
        </message>
        <message>
            <source>&lt;p&gt;A new volume &lt;b&gt;%1&lt;/b&gt; of %2 will be created in %3 with the contents of %4.&lt;/p&gt;&lt;p&gt;Nothing existing is overwritten.&lt;/p&gt;</source>
            <translation>&lt;p&gt;Ein neues Volume &lt;b&gt;%1&lt;/b&gt; mit %2 wird in %3 mit dem Inhalt von %4 angelegt.&lt;/p&gt;&lt;p&gt;Nichts Bestehendes wird überschrieben.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>&lt;p&gt;The existing file &lt;b&gt;%1&lt;/b&gt; will be &lt;b&gt;overwritten&lt;/b&gt; with the contents of %2.&lt;/p&gt;</source>
            <translation>&lt;p&gt;Die bestehende Datei &lt;b&gt;%1&lt;/b&gt; wird mit dem Inhalt von %2 &lt;b&gt;überschrieben&lt;/b&gt;.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>I understand that the file %1 will be overwritten</source>
            <translation>Mir ist bewusst, dass die Datei %1 überschrieben wird</translation>
        </message>
        <message>
            <source>&lt;p&gt;The file &lt;b&gt;%1&lt;/b&gt; will be created with the contents of %2.&lt;/p&gt;&lt;p&gt;Nothing existing is overwritten.&lt;/p&gt;</source>
            <translation>&lt;p&gt;Die Datei &lt;b&gt;%1&lt;/b&gt; wird mit dem Inhalt von %2 angelegt.&lt;/p&gt;&lt;p&gt;Nichts Bestehendes wird überschrieben.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>The restore could not be started: %1</source>
            <translation>Die Wiederherstellung konnte nicht gestartet werden: %1</translation>
        </message>
    </context>
    <context>
        <name>ndb::RestoreProgressPage</name>
        <message>
            <source>Restoring</source>
            <translation>Wiederherstellung läuft</translation>
        </message>
        <message>
            <source>You can close this window; the restore goes on in the jobs panel.</source>
            <translation>Sie können dieses Fenster schließen; die Wiederherstellung läuft in der Auftragsleiste weiter.</translation>
        </message>
        <message>
            <source>Restore of %1</source>
            <translation>Wiederherstellung von %1</translation>
        </message>
        <message>
            <source>&amp;Close</source>
            <translation>&amp;Schließen</translation>
        </message>
    </context>
    <context>
        <name>ndb::RestoreTargetPage</name>
        <message>
            <source>Target</source>
            <translation>Ziel</translation>
        </message>
        <message>
            <source>Where the backup's data is written.</source>
            <translation>Wohin die Daten der Sicherung geschrieben werden.</translation>
        </message>
        <message>
            <source>An &amp;existing volume (must be available, not attached)</source>
            <translation>Ein &amp;bestehendes Volume (muss verfügbar sein, nicht angebunden)</translation>
        </message>
        <message>
            <source>An image &amp;file</source>
            <translation>Eine Image-&amp;Datei</translation>
        </message>
        <message>
            <source>name of the new volume</source>
            <translation>Name des neuen Volumes</translation>
        </message>
        <message>
            <source>/path/to/restored.img</source>
            <translation>/pfad/zu/wiederhergestellt.img</translation>
        </message>
        <message>
            <source>Volume:</source>
            <translation>Volume:</translation>
        </message>
        <message>
            <source>Driver:</source>
            <translation>Treiber:</translation>
        </message>
        <message>
            <source>Name:</source>
            <translation>Name:</translation>
        </message>
        <message>
            <source>Restore to File</source>
            <translation>In Datei wiederherstellen</translation>
        </message>
        <message>
            <source>Raw images (*.img *.raw);;All files (*)</source>
            <translation>Raw-Images (*.img *.raw);;Alle Dateien (*)</translation>
        </message>
        <message>
            <source>%1 (%2, %3)</source>
            <translation>%1 (%2, %3)</translation>
        </message>
        <message>
            <source>There is no available volume large enough for this backup.</source>
            <translation>Es gibt kein verfügbares Volume, das groß genug für diese Sicherung ist.</translation>
        </message>
        <message>
            <source>No storage driver is configured.</source>
            <translation>Es ist kein Speichertreiber eingerichtet.</translation>
        </message>
        <message>
            <source>volume name</source>
            <translation>Volume-Name</translation>
        </message>
        <message>
            <source>A volume named %1 already exists there.</source>
            <translation>Dort gibt es bereits ein Volume namens %1.</translation>
        </message>
        <message>
            <source>Enter the path of the file to write.</source>
            <translation>Geben Sie den Pfad der zu schreibenden Datei ein.</translation>
        </message>
        <message>
            <source>Enter an absolute path.</source>
            <translation>Geben Sie einen absoluten Pfad ein.</translation>
        </message>
        <message>
            <source>%1 is a directory.</source>
            <translation>%1 ist ein Verzeichnis.</translation>
        </message>
        <message>
            <source>The folder %1 does not exist.</source>
            <translation>Der Ordner %1 existiert nicht.</translation>
        </message>
        <message>
            <source>A new &amp;volume</source>
            <translation>Ein neues &amp;Volume</translation>
        </message>
        <message>
            <source>B&amp;rowse…</source>
            <translation>Durch&amp;suchen …</translation>
        </message>
        <message>
            <source>Not possible: there is no volume yet. Restore to a new volume or a file.</source>
            <translation>Nicht möglich: Es gibt noch kein Volume. Stellen Sie in ein neues Volume oder eine Datei wieder her.</translation>
        </message>
        <message>
            <source>…</source>
            <translation>…</translation>
        </message>
        <message>
            <source>%1 is %2</source>
            <translation>%1 ist %2</translation>
        </message>
        <message>
            <source>%1 is smaller (%2)</source>
            <translation>%1 ist kleiner (%2)</translation>
        </message>
        <message>
            <source>Not possible: no volume is available (detached) and at least as large as the backup (%1): %2. Restore to a new volume or a file.</source>
            <translation>Nicht möglich: Kein Volume ist verfügbar (nicht angebunden) und mindestens so groß wie die Sicherung (%1): %2. Stellen Sie in ein neues Volume oder eine Datei wieder her.</translation>
        </message>
    </context>
    <context>
        <name>ndb::RestoreWizard</name>
        <message>
            <source>Restore a Backup</source>
            <translation>Sicherung wiederherstellen</translation>
        </message>
    </context>
    <context>
        <name>ndb::SettingsDialog</name>
        <message>
            <source>Cannot write %1</source>
            <translation>%1 kann nicht geschrieben werden</translation>
        </message>
        <message>
            <source>Browse…</source>
            <translation>Durchsuchen …</translation>
        </message>
        <message>
            <source>Choose Folder</source>
            <translation>Ordner wählen</translation>
        </message>
        <message>
            <source>Catalog File</source>
            <translation>Katalogdatei</translation>
        </message>
        <message>
            <source>SQLite databases (*.sqlite *.db)</source>
            <translation>SQLite-Datenbanken (*.sqlite *.db)</translation>
        </message>
        <message>
            <source>Settings</source>
            <translation>Einstellungen</translation>
        </message>
        <message>
            <source>Freeze mounted filesystems for the snapshot instant</source>
            <translation>Eingehängte Dateisysteme für den Moment des Snapshots einfrieren</translation>
        </message>
        <message>
            <source>Repositories</source>
            <translation>Repositorys</translation>
        </message>
        <message>
            <source>&amp;Repository root:</source>
            <translation>&amp;Repository-Wurzel:</translation>
        </message>
        <message>
            <source>Default &amp;container:</source>
            <translation>Standard-&amp;Container:</translation>
        </message>
        <message>
            <source>Catalog and storage</source>
            <translation>Katalog und Speicher</translation>
        </message>
        <message>
            <source>C&amp;atalog file:</source>
            <translation>&amp;Katalogdatei:</translation>
        </message>
        <message>
            <source>&amp;Image pools (one folder per line):</source>
            <translation>&amp;Image-Pools (ein Ordner pro Zeile):</translation>
        </message>
        <message>
            <source>&amp;LVM volume groups (one per line):</source>
            <translation>&amp;LVM-Volume-Gruppen (eine pro Zeile):</translation>
        </message>
        <message>
            <source>Concurrent &amp;jobs:</source>
            <translation>&amp;Gleichzeitige Aufträge:</translation>
        </message>
        <message>
            <source>Notify when a job &amp;fails</source>
            <translation>Benachrichtigen, wenn ein Auftrag &amp;fehlschlägt</translation>
        </message>
        <message>
            <source>Notify when a job &amp;succeeds</source>
            <translation>Benachrichtigen, wenn ein Auftrag &amp;erfolgreich ist</translation>
        </message>
        <message>
            <source>Show an icon in the system &amp;tray</source>
            <translation>Ein Symbol im &amp;Systembereich der Kontrollleiste anzeigen</translation>
        </message>
        <message>
            <source>Notifications</source>
            <translation>Benachrichtigungen</translation>
        </message>
        <message>
            <source>The repository root and the catalog file must be set.</source>
            <translation>Repository-Wurzel und Katalogdatei müssen angegeben sein.</translation>
        </message>
        <message>
            <source>default container</source>
            <translation>Standard-Container</translation>
        </message>
        <message>
            <source>volume group</source>
            <translation>Volume-Gruppe</translation>
        </message>
        <message>
            <source>Settings Not Saved</source>
            <translation>Einstellungen nicht gespeichert</translation>
        </message>
        <message>
            <source>Refuse backups that would not be point-in-time copies</source>
            <translation>Sicherungen ablehnen, die keine zeitpunktgenauen Kopien wären</translation>
        </message>
        <message>
            <source>An in-use volume whose storage cannot snapshot it and whose filesystem cannot be frozen would be copied while it may be written. When checked, such a backup is refused instead of completing with a warning.</source>
            <translation>Ein Volume in Benutzung, von dem der Speicher keinen Snapshot anlegen kann und dessen Dateisystem nicht eingefroren werden kann, würde kopiert, während es beschrieben werden kann. Wenn ausgewählt, wird eine solche Sicherung abgelehnt, statt mit einer Warnung abgeschlossen zu werden.</translation>
        </message>
        <message>
            <source>Changes to the catalog and storage take effect when ndbackup starts next time. Settings file:</source>
            <translation>Änderungen an Katalog und Speicher wirken beim nächsten Start von ndbackup. Einstellungsdatei:</translation>
        </message>
        <message>
            <source>&amp;General</source>
            <translation>&amp;Allgemein</translation>
        </message>
        <message>
            <source>Storage &amp;Nodes</source>
            <translation>Speicherk&amp;noten</translation>
        </message>
    </context>
    <context>
        <name>ndb::StorageNodesPage</name>
        <message>
            <source>Address</source>
            <translation>Adresse</translation>
        </message>
        <message>
            <source>Node</source>
            <translation>Knoten</translation>
        </message>
        <message>
            <source>State</source>
            <translation>Zustand</translation>
        </message>
        <message>
            <source>Fingerprint</source>
            <translation>Fingerabdruck</translation>
        </message>
        <message>
            <source>Storage nodes</source>
            <translation>Speicherknoten</translation>
        </message>
        <message>
            <source>host or host:port (port 8787 when omitted)</source>
            <translation>Host oder Host:Port (ohne Angabe Port 8787)</translation>
        </message>
        <message>
            <source>optional: SHA256:… as 'ndbackup-agent show-fingerprint' prints it on the node</source>
            <translation>optional: SHA256:… wie „ndbackup-agent show-fingerprint“ ihn auf dem Knoten ausgibt</translation>
        </message>
        <message>
            <source>Add N&amp;ode…</source>
            <translation>Knoten &amp;hinzufügen…</translation>
        </message>
        <message>
            <source>Re&amp;move…</source>
            <translation>&amp;Entfernen…</translation>
        </message>
        <message>
            <source>Chec&amp;k Again</source>
            <translation>Erneut &amp;prüfen</translation>
        </message>
        <message>
            <source>This console's fingerprint, to give to each node with 'ndbackup-agent trust-console': %1</source>
            <translation>Der Fingerabdruck dieser Konsole, für jeden Knoten mit „ndbackup-agent trust-console“: %1</translation>
        </message>
        <message>
            <source>This console has no identity yet: %1</source>
            <translation>Diese Konsole hat noch keine Identität: %1</translation>
        </message>
        <message>
            <source>A&amp;ddress:</source>
            <translation>A&amp;dresse:</translation>
        </message>
        <message>
            <source>E&amp;xpected fingerprint:</source>
            <translation>Er&amp;warteter Fingerabdruck:</translation>
        </message>
        <message>
            <source>not trusted</source>
            <translation>nicht vertraut</translation>
        </message>
        <message>
            <source>Add it again to confirm its fingerprint.</source>
            <translation>Fügen Sie ihn erneut hinzu, um seinen Fingerabdruck zu bestätigen.</translation>
        </message>
        <message>
            <source>checking…</source>
            <translation>wird geprüft …</translation>
        </message>
        <message>
            <source>online</source>
            <translation>erreichbar</translation>
        </message>
        <message>
            <source>offline</source>
            <translation>nicht erreichbar</translation>
        </message>
        <message>
            <source>Asking %1 for its certificate…</source>
            <translation>%1 wird nach seinem Zertifikat gefragt …</translation>
        </message>
        <message>
            <source>%1 was not added: %2</source>
            <translation>%1 wurde nicht hinzugefügt: %2</translation>
        </message>
        <message>
            <source>it presented no certificate</source>
            <translation>er hat kein Zertifikat vorgelegt</translation>
        </message>
        <message>
            <source>%1 was not added: its fingerprint is %2, not the %3 expected. Read it on the node with 'ndbackup-agent show-fingerprint'; a difference means another machine answers at that address.</source>
            <translation>%1 wurde nicht hinzugefügt: Sein Fingerabdruck ist %2, nicht der erwartete %3. Lesen Sie ihn auf dem Knoten mit „ndbackup-agent show-fingerprint“ ab; ein Unterschied bedeutet, dass unter dieser Adresse ein anderer Rechner antwortet.</translation>
        </message>
        <message>
            <source>Trust Storage Node</source>
            <translation>Speicherknoten vertrauen</translation>
        </message>
        <message>
            <source>Trust the storage node at %1?</source>
            <translation>Dem Speicherknoten unter %1 vertrauen?</translation>
        </message>
        <message>
            <source>Its agent presents the certificate fingerprint
%1

Compare it with what 'ndbackup-agent show-fingerprint' prints on the node; a different fingerprint means another machine answers at this address.

Then give the node this console's fingerprint:
ndbackup-agent trust-console %2</source>
            <translation>Sein Agent legt ein Zertifikat mit dem Fingerabdruck
%1
vor.

Vergleichen Sie ihn mit der Ausgabe von „ndbackup-agent show-fingerprint“ auf dem Knoten; ein anderer Fingerabdruck bedeutet, dass unter dieser Adresse ein anderer Rechner antwortet.

Geben Sie dem Knoten dann den Fingerabdruck dieser Konsole:
ndbackup-agent trust-console %2</translation>
        </message>
        <message>
            <source>&amp;Trust Node</source>
            <translation>Knoten &amp;vertrauen</translation>
        </message>
        <message>
            <source>Remove Storage Node</source>
            <translation>Speicherknoten entfernen</translation>
        </message>
        <message>
            <source>Remove the storage node at %1?</source>
            <translation>Den Speicherknoten unter %1 entfernen?</translation>
        </message>
        <message>
            <source>Remove the storage node %1 at %2?</source>
            <translation>Den Speicherknoten %1 unter %2 entfernen?</translation>
        </message>
        <message>
            <source>Its volumes are no longer listed or backed up here; their backups stay in the repository. Its fingerprint is forgotten: adding it again asks to confirm it again.</source>
            <translation>Seine Volumes werden hier nicht mehr angezeigt oder gesichert; ihre Sicherungen bleiben im Repository. Sein Fingerabdruck wird vergessen: Wird er erneut hinzugefügt, ist er wieder zu bestätigen.</translation>
        </message>
        <message>
            <source>&amp;Remove Node</source>
            <translation>Knoten &amp;entfernen</translation>
        </message>
        <message>
            <source>The storage nodes whose volumes this console manages through their agent (ndbackup-agent). A node is added by its address, you confirm its fingerprint once, and it is managed at once (Save is not needed).</source>
            <translation>Die Speicherknoten, deren Volumes diese Konsole über ihren Agenten (ndbackup-agent) verwaltet. Ein Knoten wird über seine Adresse hinzugefügt, Sie bestätigen seinen Fingerabdruck einmal, und er wird sofort verwaltet (Speichern ist nicht nötig).</translation>
        </message>
    </context>
    <context>
        <name>ndb::UiText</name>
        <message>
            <source>in use (attached)</source>
            <translation>in Benutzung (angebunden)</translation>
        </message>
        <message>
            <source>available</source>
            <translation>verfügbar</translation>
        </message>
        <message>
            <source>backing up</source>
            <translation>wird gesichert</translation>
        </message>
        <message>
            <source>restoring</source>
            <translation>wird wiederhergestellt</translation>
        </message>
        <message>
            <source>error</source>
            <translation>Fehler</translation>
        </message>
        <message>
            <source>unknown</source>
            <translation>unbekannt</translation>
        </message>
        <message>
            <source>queued</source>
            <translation>wartend</translation>
        </message>
        <message>
            <source>running</source>
            <translation>läuft</translation>
        </message>
        <message>
            <source>succeeded</source>
            <translation>erfolgreich</translation>
        </message>
        <message>
            <source>failed</source>
            <translation>fehlgeschlagen</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>abgebrochen</translation>
        </message>
        <message>
            <source>backup</source>
            <translation>Sicherung</translation>
        </message>
        <message>
            <source>restore</source>
            <translation>Wiederherstellung</translation>
        </message>
        <message>
            <source>verify</source>
            <translation>Prüfung</translation>
        </message>
        <message>
            <source>delete</source>
            <translation>Löschen</translation>
        </message>
        <message>
            <source>garbage collection</source>
            <translation>Speicherbereinigung</translation>
        </message>
        <message>
            <source>cleanup</source>
            <translation>Aufräumen</translation>
        </message>
        <message>
            <source>creating</source>
            <translation>wird angelegt</translation>
        </message>
        <message>
            <source>deleting</source>
            <translation>wird gelöscht</translation>
        </message>
        <message>
            <source>deleted</source>
            <translation>gelöscht</translation>
        </message>
        <message>
            <source>Prepare</source>
            <translation>Vorbereiten</translation>
        </message>
        <message>
            <source>Snapshot</source>
            <translation>Snapshot</translation>
        </message>
        <message>
            <source>Attach</source>
            <translation>Anbinden</translation>
        </message>
        <message>
            <source>Transfer</source>
            <translation>Übertragen</translation>
        </message>
        <message>
            <source>Detach</source>
            <translation>Trennen</translation>
        </message>
        <message>
            <source>Cleanup</source>
            <translation>Aufräumen</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Fertig</translation>
        </message>
        <message>
            <source>info</source>
            <translation>Info</translation>
        </message>
        <message>
            <source>warning</source>
            <translation>Warnung</translation>
        </message>
        <message>
            <source>command</source>
            <translation>Befehl</translation>
        </message>
        <message>
            <source>completed with warnings</source>
            <translation>mit Warnungen abgeschlossen</translation>
        </message>
        <message>
            <source>Finished successfully.</source>
            <translation>Erfolgreich abgeschlossen.</translation>
        </message>
        <message>
            <source>Cancelled. Temporary snapshots and volumes were removed.</source>
            <translation>Abgebrochen. Temporäre Snapshots und Volumes wurden entfernt.</translation>
        </message>
        <message>
            <source>Failed for an unknown reason.</source>
            <translation>Aus unbekanntem Grund fehlgeschlagen.</translation>
        </message>
        <message>
            <source>Failed: %1</source>
            <translation>Fehlgeschlagen: %1</translation>
        </message>
        <message>
            <source>not in use, read directly</source>
            <translation>nicht in Benutzung, direkt gelesen</translation>
        </message>
        <message>
            <source>crash-consistent snapshot</source>
            <translation>absturzkonsistenter Snapshot</translation>
        </message>
        <message>
            <source>snapshot, filesystem frozen</source>
            <translation>Snapshot, Dateisystem eingefroren</translation>
        </message>
        <message>
            <source>copy, filesystem frozen</source>
            <translation>Kopie, Dateisystem eingefroren</translation>
        </message>
        <message>
            <source>not a point-in-time copy</source>
            <translation>keine zeitpunktgenaue Kopie</translation>
        </message>
        <message>
            <source>The volume was not in use and was read directly.</source>
            <translation>Das Volume war nicht in Benutzung und wurde direkt gelesen.</translation>
        </message>
        <message>
            <source>A storage snapshot taken while the volume was in use: one instant, as after a power cut (crash-consistent).</source>
            <translation>Ein Speicher-Snapshot, aufgenommen während das Volume in Benutzung war: ein Zeitpunkt, wie nach einem Stromausfall (absturzkonsistent).</translation>
        </message>
        <message>
            <source>A storage snapshot taken while the volume's filesystem was frozen: one consistent instant.</source>
            <translation>Ein Speicher-Snapshot, aufgenommen während das Dateisystem des Volumes eingefroren war: ein konsistenter Zeitpunkt.</translation>
        </message>
        <message>
            <source>A temporary copy made while the volume's filesystem was frozen: one consistent instant.</source>
            <translation>Eine temporäre Kopie, angelegt während das Dateisystem des Volumes eingefroren war: ein konsistenter Zeitpunkt.</translation>
        </message>
        <message>
            <source>Copied while the volume was in use and may have been written: blocks written during the copy may or may not be in it. This backup is not a point-in-time copy.</source>
            <translation>Kopiert, während das Volume in Benutzung war und beschrieben worden sein kann: Blöcke, die während des Kopierens geschrieben wurden, können enthalten sein oder fehlen. Diese Sicherung ist keine zeitpunktgenaue Kopie.</translation>
        </message>
        <message>
            <source>Not recorded (a backup made before ndbackup recorded this).</source>
            <translation>Nicht festgehalten (eine Sicherung aus der Zeit, bevor ndbackup dies festhielt).</translation>
        </message>
        <message>
            <source>read directly (the volume is not in use)</source>
            <translation>direkt gelesen (das Volume ist nicht in Benutzung)</translation>
        </message>
        <message>
            <source>through a temporary snapshot, with the filesystem frozen for that instant</source>
            <translation>über einen temporären Snapshot, mit für diesen Moment eingefrorenem Dateisystem</translation>
        </message>
        <message>
            <source>through a temporary clone made with the filesystem frozen</source>
            <translation>über einen temporären Klon, angelegt bei eingefrorenem Dateisystem</translation>
        </message>
        <message>
            <source>through a temporary snapshot (reflink or storage snapshot; crash-consistent)</source>
            <translation>über einen temporären Snapshot (Reflink oder Speicher-Snapshot; absturzkonsistent)</translation>
        </message>
        <message>
            <source>through a temporary clone (one instant; crash-consistent)</source>
            <translation>über einen temporären Klon (ein Zeitpunkt; absturzkonsistent)</translation>
        </message>
        <message>
            <source>WARNING: not a point-in-time copy: the storage cannot snapshot this volume and no filesystem on it can be frozen, so it is copied while it may be written</source>
            <translation>WARNUNG: keine zeitpunktgenaue Kopie: Der Speicher kann von diesem Volume keinen Snapshot anlegen und kein Dateisystem darauf kann eingefroren werden, daher wird es kopiert, während es beschrieben werden kann</translation>
        </message>
        <message>
            <source>through a temporary snapshot</source>
            <translation>über einen temporären Snapshot</translation>
        </message>
        <message>
            <source>through a temporary clone</source>
            <translation>über einen temporären Klon</translation>
        </message>
        <message>
            <source>Finished with warnings.</source>
            <translation>Mit Warnungen abgeschlossen.</translation>
        </message>
        <message>
            <source>Finished with warnings: %1</source>
            <translation>Mit Warnungen abgeschlossen: %1</translation>
        </message>
    </context>
    <context>
        <name>ndb::VolumeModel</name>
        <message>
            <source>local</source>
            <translation>lokal</translation>
        </message>
        <message>
            <source>Host %1</source>
            <translation>Host %1</translation>
        </message>
        <message>
            <source>Storage node %1</source>
            <translation>Speicherknoten %1</translation>
        </message>
        <message>
            <source>Storage driver %1</source>
            <translation>Speichertreiber %1</translation>
        </message>
        <message>
            <source>never</source>
            <translation>nie</translation>
        </message>
        <message>
            <source>Attached to %1</source>
            <translation>Angebunden an %1</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Size</source>
            <translation>Größe</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Driver</source>
            <translation>Treiber</translation>
        </message>
        <message>
            <source>Last backup</source>
            <translation>Letzte Sicherung</translation>
        </message>
        <message>
            <source>%1 (%2)</source>
            <translation>%1 (%2)</translation>
        </message>
        <message>
            <source>Last attempt</source>
            <translation>Letzter Versuch</translation>
        </message>
        <message>
            <source>Consistency</source>
            <translation>Konsistenz</translation>
        </message>
        <message>
            <source>Host %1 (offline)</source>
            <translation>Host %1 (nicht erreichbar)</translation>
        </message>
        <message>
            <source>Storage node %1 does not answer: %2</source>
            <translation>Speicherknoten %1 antwortet nicht: %2</translation>
        </message>
    </context>
</TS>
