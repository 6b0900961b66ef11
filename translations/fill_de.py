#!/usr/bin/env python3
"""Fills translations/ndbackup_de.ts from the German texts below (run after lupdate).

Keeps the .ts the single source of truth for lrelease; this script only exists so that the
German wording is reviewable in one place. Fails when a source text has no German text.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

DE = {
    # main
    'Back up block volumes without detaching them.': 'Blockvolumes sichern, ohne sie zu trennen.',
    'Use a demo image pool with an attached and an available volume.': 'Einen Demo-Image-Pool mit einem angebundenen und einem verfügbaren Volume verwenden.',
    'Read settings from <file>.': 'Einstellungen aus <Datei> lesen.',
    'Demo pool: %1': 'Demo-Pool: %1',
    'The demo pool could not be created: %1': 'Der Demo-Pool konnte nicht angelegt werden: %1',
    'ndbackup cannot start': 'ndbackup kann nicht starten',
    'The engine could not start:\n%1\n\nSettings file: %2': 'Die Engine konnte nicht starten:\n%1\n\nEinstellungsdatei: %2',
    # main window: an administrator's status reset
    'Reset &Status…': '&Status zurücksetzen…',
    'Reset Volume Status': 'Volume-Status zurücksetzen',
    "Reset the status of %1 from '%2' to 'available'?": "Den Status von %1 von „%2“ auf „verfügbar“ zurücksetzen?",
    'Do this only when you know that the data on the volume is usable, e.g. after you restored it another way. A volume that holds a partial restore stays damaged. The reset is recorded in the history.': 'Tun Sie das nur, wenn Sie wissen, dass die Daten auf dem Volume brauchbar sind, z. B. nachdem Sie es auf anderem Weg wiederhergestellt haben. Ein Volume mit einer unvollständigen Wiederherstellung bleibt beschädigt. Das Zurücksetzen wird im Verlauf festgehalten.',
    'Volume Status Reset': 'Volume-Status zurückgesetzt',
    "%1 is '%2' again.": "%1 ist wieder „%2“.",
    'Volume Status Not Reset': 'Volume-Status nicht zurückgesetzt',
    # charts
    'Backup size over time': 'Sicherungsgröße im Zeitverlauf',
    'Backup duration over time': 'Sicherungsdauer im Zeitverlauf',
    'stored MiB': 'gespeicherte MiB',
    'duration (%1)': 'Dauer (%1)',
    # backup wizard
    'Container and name': 'Container und Name',
    'Where the backup is stored and how you will recognise it later.': 'Wo die Sicherung abgelegt wird und woran Sie sie später erkennen.',
    'A container is a directory in the repository; backups in one container share deduplicated data.': 'Ein Container ist ein Verzeichnis im Repository; Sicherungen in einem Container teilen sich deduplizierte Daten.',
    'backup %1': 'Sicherung %1',
    'Optional: why this backup was taken': 'Optional: warum diese Sicherung angelegt wurde',
    '&Container:': '&Container:',
    '&Name:': '&Name:',
    'Na&me:': 'Na&me:',
    '&Description:': '&Beschreibung:',
    'container': 'Container',
    'The backup needs a name.': 'Die Sicherung braucht einen Namen.',
    'backup name': 'Sicherungsname',
    'description': 'Beschreibung',
    'Back up volumes that are in use': 'Volumes sichern, die in Benutzung sind',
    'Some of the chosen volumes are attached and in use.': 'Einige der gewählten Volumes sind angebunden und in Benutzung.',
    '&Force: back up the in-use volumes while they stay attached': '&Erzwingen: die benutzten Volumes sichern, während sie angebunden bleiben',
    'attached to %1': 'angebunden an %1',
    '<p>These volumes are attached and may be written to while the backup runs:</p><ul>%1</ul><p>ndbackup does not detach them. It takes a temporary snapshot (or, where the storage cannot snapshot, a temporary copy) at one instant, backs that up and removes it afterwards. Mounted filesystems are frozen for that instant when possible; applications that keep data in memory (databases) should flush it first, otherwise the backup is only crash-consistent.</p><p>Because of this, backing up an in-use volume must be confirmed with the force option.</p>':
        '<p>Diese Volumes sind angebunden und können beschrieben werden, während die Sicherung läuft:</p><ul>%1</ul><p>ndbackup trennt sie nicht. Es legt zu einem Zeitpunkt einen temporären Snapshot an (oder, wo der Speicher keine Snapshots kann, eine temporäre Kopie), sichert diesen und entfernt ihn danach wieder. Eingehängte Dateisysteme werden für diesen Moment nach Möglichkeit eingefroren; Anwendungen, die Daten im Speicher halten (Datenbanken), sollten sie vorher schreiben, sonst ist die Sicherung nur absturzkonsistent.</p><p>Deshalb muss das Sichern eines benutzten Volumes mit der Option „Erzwingen“ bestätigt werden.</p>',
    'Summary': 'Zusammenfassung',
    'Start the backup with the button below; each volume becomes its own job.': 'Starten Sie die Sicherung mit der Schaltfläche unten; jedes Volume wird ein eigener Auftrag.',
    'through a temporary snapshot, forced': 'über einen temporären Snapshot, erzwungen',
    '<p>Volumes:</p><ul>%1</ul><p>Container: <b>%2</b><br>Name: <b>%3</b><br>Description: %4</p>': '<p>Volumes:</p><ul>%1</ul><p>Container: <b>%2</b><br>Name: <b>%3</b><br>Beschreibung: %4</p>',
    '(none)': '(keine)',
    'Volumes': 'Volumes',
    'Choose the volumes to back up. Attached volumes stay attached and in use.': 'Wählen Sie die zu sichernden Volumes. Angebundene Volumes bleiben angebunden und in Benutzung.',
    'Name': 'Name',
    'Size': 'Größe',
    'Status': 'Status',
    'Host': 'Host',
    'Driver': 'Treiber',
    'Volumes that are being backed up or restored right now are not listed.': 'Volumes, die gerade gesichert oder wiederhergestellt werden, sind nicht aufgeführt.',
    'Back Up Volumes': 'Volumes sichern',
    '&Start Backup': 'Sicherung &starten',
    'no engine': 'keine Engine',
    '%1: %2': '%1: %2',
    ' MB/s': ' MB/s',
    'unlimited': 'unbegrenzt',
    'Limits how fast the volume is read, so that its users keep their I/O.': 'Begrenzt, wie schnell das Volume gelesen wird, damit seinen Benutzern genug E/A bleibt.',
    '&Read at most:': 'Höchstens &lesen:',
    '<p>Volumes:</p><ul>%1</ul><p>Container: <b>%2</b><br>Name: <b>%3</b><br>Description: %4<br>Read rate: %5</p>':
        '<p>Volumes:</p><ul>%1</ul><p>Container: <b>%2</b><br>Name: <b>%3</b><br>Beschreibung: %4<br>Leserate: %5</p>',
    # history
    'All volumes': 'Alle Volumes',
    'Any status': 'Jeder Status',
    'Refresh': 'Aktualisieren',
    '&Volume:': '&Volume:',
    'S&tatus:': 'S&tatus:',
    '&From:': '&Von:',
    '&To:': '&Bis:',
    'Job': 'Auftrag',
    'Kind': 'Art',
    'Volume': 'Volume',
    'Started': 'Gestartet',
    'Duration': 'Dauer',
    'Bytes': 'Bytes',
    'Reason': 'Grund',
    'Select a job to see its event log.': 'Wählen Sie einen Auftrag, um sein Ereignisprotokoll zu sehen.',
    'Time': 'Zeit',
    'Phase': 'Phase',
    'Level': 'Stufe',
    'Message': 'Meldung',
    '&Jobs': '&Aufträge',
    '&Charts': '&Diagramme',
    'Could not read the history: %1': 'Der Verlauf konnte nicht gelesen werden: %1',
    'Could not read the events of job %1: %2': 'Die Ereignisse von Auftrag %1 konnten nicht gelesen werden: %2',
    'Event log of job %1 (%n event(s))': ('Ereignisprotokoll von Auftrag %1 (%n Ereignis)', 'Ereignisprotokoll von Auftrag %1 (%n Ereignisse)'),
    # job widget
    'Cancel': 'Abbrechen',
    'Stop this job; its temporary snapshot or volume is removed': 'Diesen Auftrag beenden; sein temporärer Snapshot bzw. sein temporäres Volume wird entfernt',
    '%p%': '%p %',
    'Waiting to start…': 'Wartet auf den Start …',
    'Cancelling…': 'Wird abgebrochen …',
    'in progress': 'läuft',
    'done': 'erledigt',
    'failed': 'fehlgeschlagen',
    'not needed for this volume': 'für dieses Volume nicht nötig',
    'pending': 'ausstehend',
    'read %1 of %2': '%1 von %2 gelesen',
    'stored %1': '%1 gespeichert',
    '%1 left': 'noch %1',
    'Finished successfully.': 'Erfolgreich abgeschlossen.',
    'Cancelled. Temporary snapshots and volumes were removed.': 'Abgebrochen. Temporäre Snapshots und Volumes wurden entfernt.',
    'Failed for an unknown reason.': 'Aus unbekanntem Grund fehlgeschlagen.',
    'Failed: %1': 'Fehlgeschlagen: %1',
    'No jobs are running. Start a backup with the Back Up… action.': 'Es laufen keine Aufträge. Starten Sie eine Sicherung mit der Aktion „Sichern …“.',
    '#%1 %2 of %3': '#%1 %2 von %3',
    # main window
    'Volume Backup — %1': 'Volumensicherung — %1',
    'F&ilter:': 'F&ilter:',
    'V&olumes': 'V&olumes',
    'Hi&story': 'Ver&lauf',
    'Loading volumes…': 'Volumes werden geladen …',
    'asking the storage…': 'Speicher wird abgefragt …',
    'Filter by name, host, driver or status (Ctrl+F)': 'Nach Name, Host, Treiber oder Status filtern (Strg+F)',
    '&Filter:': '&Filter:',
    '&Volumes': '&Volumes',
    '&History': '&Verlauf',
    'Jobs': 'Aufträge',
    '&Back Up…': '&Sichern …',
    'Back up the selected volumes (attached volumes stay attached)': 'Die gewählten Volumes sichern (angebundene Volumes bleiben angebunden)',
    '&Restore…': '&Wiederherstellen …',
    'Restore a backup to a volume or a file': 'Eine Sicherung in ein Volume oder eine Datei wiederherstellen',
    'Re&fresh': '&Aktualisieren',
    'Ask the storage for its volumes again': 'Den Speicher erneut nach seinen Volumes fragen',
    'Jobs, their event logs and charts': 'Aufträge, ihre Ereignisprotokolle und Diagramme',
    '&Export Report…': 'Bericht &exportieren …',
    'History and inventory as CSV, HTML and PDF': 'Verlauf und Bestand als CSV, HTML und PDF',
    '&Settings…': '&Einstellungen …',
    'Filter Volumes': 'Volumes filtern',
    '&Quit': '&Beenden',
    '&About ndbackup': 'Ü&ber ndbackup',
    'About ndbackup': 'Über ndbackup',
    '<h3>ndbackup %1</h3><p>Backs up block volumes while they stay attached: a temporary snapshot or copy is read and always cleaned up.</p>':
        '<h3>ndbackup %1</h3><p>Sichert Blockvolumes, während sie angebunden bleiben: Ein temporärer Snapshot oder eine temporäre Kopie wird gelesen und immer wieder aufgeräumt.</p>',
    'Show &History of Volume': '&Verlauf des Volumes anzeigen',
    '&File': '&Datei',
    'Vie&w': '&Ansicht',
    '&Jobs Panel': '&Auftragsleiste',
    '&Help': '&Hilfe',
    'Main Toolbar': 'Hauptwerkzeugleiste',
    'ndbackup': 'ndbackup',
    'Show ndbackup': 'ndbackup anzeigen',
    'Asking the storage for its volumes…': 'Der Speicher wird nach seinen Volumes gefragt …',
    '%n volume(s)': ('%n Volume', '%n Volumes'),
    '%n in use': ('%n in Benutzung', '%n in Benutzung'),
    '%n busy': ('%n beschäftigt', '%n beschäftigt'),
    '%n selected': ('%n ausgewählt', '%n ausgewählt'),
    'updated %1': 'aktualisiert %1',
    'storage error: %1': 'Speicherfehler: %1',
    '%n job(s) running': ('%n Auftrag läuft', '%n Aufträge laufen'),
    # closing the window while jobs run
    'Jobs Are Running': 'Aufträge laufen',
    '%n job(s) not finished yet:': ('%n Auftrag ist noch nicht fertig:', '%n Aufträge sind noch nicht fertig:'),
    'Cancelling removes their temporary snapshots and volumes; a cancelled backup is not kept and a cancelled restore leaves its target incomplete.': 'Abbrechen entfernt ihre temporären Snapshots und Volumes; eine abgebrochene Sicherung wird nicht behalten, und eine abgebrochene Wiederherstellung hinterlässt ihr Ziel unvollständig.',
    'Cancel Jobs and Quit': 'Aufträge abbrechen und beenden',
    'Keep Running in the Tray': 'Im Infobereich weiterlaufen lassen',
    "Don't Close": 'Nicht schließen',
    'Cancelling %n job(s) and cleaning up before quitting…': ('%n Auftrag wird abgebrochen und aufgeräumt, danach wird ndbackup beendet …', '%n Aufträge werden abgebrochen und aufgeräumt, danach wird ndbackup beendet …'),
    'ndbackup keeps running': 'ndbackup läuft weiter',
    '%n job(s) continue in the background; ndbackup quits when they end.': ('%n Auftrag läuft im Hintergrund weiter; ndbackup wird beendet, wenn er fertig ist.', '%n Aufträge laufen im Hintergrund weiter; ndbackup wird beendet, wenn sie fertig sind.'),
    # job cards: failed and warning cards stay, restores write
    'Dismiss': 'Ausblenden',
    'Remove this card from the panel; the job stays in the history': 'Diese Karte aus dem Bereich entfernen; der Auftrag bleibt im Verlauf',
    'written %1 of %2 to the target': '%1 von %2 auf das Ziel geschrieben',
    'Finished with warnings.': 'Mit Warnungen abgeschlossen.',
    'Finished with warnings: %1': 'Mit Warnungen abgeschlossen: %1',
    '%1 job #%2': 'Auftrag #%2 (%1)',
    'Job failed': 'Auftrag fehlgeschlagen',
    '%1 of %2 failed: %3': '%1 für %2 ist fehlgeschlagen: %3',
    'Job finished': 'Auftrag abgeschlossen',
    '%1 of %2 finished successfully.': '%1 für %2 wurde erfolgreich abgeschlossen.',
    '%1 of %2 was cancelled.': '%1 für %2 wurde abgebrochen.',
    'Backup Not Started': 'Sicherung nicht gestartet',
    'Some backups could not be started:': 'Einige Sicherungen konnten nicht gestartet werden:',
    'Settings saved to %1': 'Einstellungen in %1 gespeichert',
    # report
    'ndbackup report': 'ndbackup-Bericht',
    'Period': 'Zeitraum',
    'beginning': 'Anfang',
    'now': 'jetzt',
    'Generated': 'Erstellt',
    'succeeded': 'erfolgreich',
    'cancelled': 'abgebrochen',
    'Inventory': 'Bestand',
    'Backups': 'Sicherungen',
    'Last backup': 'Letzte Sicherung',
    'Last result': 'Letztes Ergebnis',
    'History': 'Verlauf',
    'Error': 'Fehler',
    'Cannot write %1: %2': '%1 kann nicht geschrieben werden: %2',
    'Cannot write %1': '%1 kann nicht geschrieben werden',
    'Cannot create the folder %1': 'Der Ordner %1 kann nicht angelegt werden',
    'Export Report': 'Bericht exportieren',
    '&Browse…': '&Durchsuchen …',
    '&CSV (history and inventory, for spreadsheets)': '&CSV (Verlauf und Bestand, für Tabellenkalkulationen)',
    '&HTML': '&HTML',
    '&PDF': '&PDF',
    'F&older:': '&Ordner:',
    'Formats:': 'Formate:',
    '&Export': '&Exportieren',
    'The report lists every job in the period and the inventory of volumes with their backups.': 'Der Bericht listet alle Aufträge im Zeitraum und den Bestand der Volumes mit ihren Sicherungen.',
    'Report Folder': 'Berichtsordner',
    'The period starts after it ends.': 'Der Zeitraum beginnt nach seinem Ende.',
    'Written (%n job(s)):': ('Geschrieben (%n Auftrag):', 'Geschrieben (%n Aufträge):'),
    'The report could not be written: %1': 'Der Bericht konnte nicht geschrieben werden: %1',
    # restore
    'Backup': 'Sicherung',
    'Choose the backup to restore.': 'Wählen Sie die wiederherzustellende Sicherung.',
    'Created': 'Angelegt',
    'Container': 'Container',
    'There is no backup that can be restored yet.': 'Es gibt noch keine Sicherung, die wiederhergestellt werden kann.',
    'Confirm': 'Bestätigen',
    '&Restore': '&Wiederherstellen',
    'backup <b>%1</b> of volume <b>%2</b>, taken %3 (%4)': 'Sicherung <b>%1</b> des Volumes <b>%2</b> vom %3 (%4)',
    '<p>The volume <b>%1</b> (%2, %3) will be <b>overwritten</b> with the contents of %4.</p><p>Everything currently stored on %1 is lost.</p>':
        '<p>Das Volume <b>%1</b> (%2, %3) wird mit dem Inhalt von %4 <b>überschrieben</b>.</p><p>Alles, was derzeit auf %1 gespeichert ist, geht verloren.</p>',
    'I understand that the volume %1 will be overwritten': 'Mir ist bewusst, dass das Volume %1 überschrieben wird',
    '<p>A new volume <b>%1</b> of %2 will be created in %3 with the contents of %4.</p><p>Nothing existing is overwritten.</p>':
        '<p>Ein neues Volume <b>%1</b> mit %2 wird in %3 mit dem Inhalt von %4 angelegt.</p><p>Nichts Bestehendes wird überschrieben.</p>',
    '<p>The existing file <b>%1</b> will be <b>overwritten</b> with the contents of %2.</p>':
        '<p>Die bestehende Datei <b>%1</b> wird mit dem Inhalt von %2 <b>überschrieben</b>.</p>',
    'I understand that the file %1 will be overwritten': 'Mir ist bewusst, dass die Datei %1 überschrieben wird',
    '<p>The file <b>%1</b> will be created with the contents of %2.</p><p>Nothing existing is overwritten.</p>':
        '<p>Die Datei <b>%1</b> wird mit dem Inhalt von %2 angelegt.</p><p>Nichts Bestehendes wird überschrieben.</p>',
    'The restore could not be started: %1': 'Die Wiederherstellung konnte nicht gestartet werden: %1',
    'Restoring': 'Wiederherstellung läuft',
    'You can close this window; the restore goes on in the jobs panel.': 'Sie können dieses Fenster schließen; die Wiederherstellung läuft in der Auftragsleiste weiter.',
    'Restore of %1': 'Wiederherstellung von %1',
    'Target': 'Ziel',
    "Where the backup's data is written.": 'Wohin die Daten der Sicherung geschrieben werden.',
    'An &existing volume (must be available, not attached)': 'Ein &bestehendes Volume (muss verfügbar sein, nicht angebunden)',
    'A &new volume': 'Ein &neues Volume',
    'A new &volume': 'Ein neues &Volume',
    'B&rowse…': 'Durch&suchen …',
    '&Close': '&Schließen',
    '…': '…',
    '%1 is %2': '%1 ist %2',
    '%1 is smaller (%2)': '%1 ist kleiner (%2)',
    'Not possible: there is no volume yet. Restore to a new volume or a file.':
        'Nicht möglich: Es gibt noch kein Volume. Stellen Sie in ein neues Volume oder eine Datei wieder her.',
    'Not possible: no volume is available (detached) and at least as large as the backup (%1): %2. Restore to a new volume or a file.':
        'Nicht möglich: Kein Volume ist verfügbar (nicht angebunden) und mindestens so groß wie die Sicherung (%1): %2. Stellen Sie in ein neues Volume oder eine Datei wieder her.',
    'An image &file': 'Eine Image-&Datei',
    'name of the new volume': 'Name des neuen Volumes',
    '/path/to/restored.img': '/pfad/zu/wiederhergestellt.img',
    'Volume:': 'Volume:',
    'Driver:': 'Treiber:',
    'Name:': 'Name:',
    'Restore to File': 'In Datei wiederherstellen',
    'Raw images (*.img *.raw);;All files (*)': 'Raw-Images (*.img *.raw);;Alle Dateien (*)',
    '%1 (%2, %3)': '%1 (%2, %3)',
    'There is no available volume large enough for this backup.': 'Es gibt kein verfügbares Volume, das groß genug für diese Sicherung ist.',
    'No storage driver is configured.': 'Es ist kein Speichertreiber eingerichtet.',
    'volume name': 'Volume-Name',
    'A volume named %1 already exists there.': 'Dort gibt es bereits ein Volume namens %1.',
    'Enter the path of the file to write.': 'Geben Sie den Pfad der zu schreibenden Datei ein.',
    'Enter an absolute path.': 'Geben Sie einen absoluten Pfad ein.',
    '%1 is a directory.': '%1 ist ein Verzeichnis.',
    'The folder %1 does not exist.': 'Der Ordner %1 existiert nicht.',
    'Restore a Backup': 'Sicherung wiederherstellen',
    # settings
    'Browse…': 'Durchsuchen …',
    'Choose Folder': 'Ordner wählen',
    'Catalog File': 'Katalogdatei',
    'SQLite databases (*.sqlite *.db)': 'SQLite-Datenbanken (*.sqlite *.db)',
    'Settings': 'Einstellungen',
    'Freeze mounted filesystems for the snapshot instant': 'Eingehängte Dateisysteme für den Moment des Snapshots einfrieren',
    'Repositories': 'Repositorys',
    '&Repository root:': '&Repository-Wurzel:',
    'Default &container:': 'Standard-&Container:',
    'Catalog and storage': 'Katalog und Speicher',
    'C&atalog file:': '&Katalogdatei:',
    '&Image pools (one folder per line):': '&Image-Pools (ein Ordner pro Zeile):',
    '&LVM volume groups (one per line):': '&LVM-Volume-Gruppen (eine pro Zeile):',
    'Concurrent &jobs:': '&Gleichzeitige Aufträge:',
    'Notify when a job &fails': 'Benachrichtigen, wenn ein Auftrag &fehlschlägt',
    'Notify when a job &succeeds': 'Benachrichtigen, wenn ein Auftrag &erfolgreich ist',
    'Show an icon in the system &tray': 'Ein Symbol im &Systembereich der Kontrollleiste anzeigen',
    'Notifications': 'Benachrichtigungen',
    'Changes to the catalog and storage take effect when ndbackup starts next time. Settings file:':
        'Änderungen an Katalog und Speicher wirken beim nächsten Start von ndbackup. Einstellungsdatei:',
    'The repository root and the catalog file must be set.': 'Repository-Wurzel und Katalogdatei müssen angegeben sein.',
    'default container': 'Standard-Container',
    'volume group': 'Volume-Gruppe',
    'Settings Not Saved': 'Einstellungen nicht gespeichert',
    # UiText
    '%1 MB/s': '%1 MB/s',
    'in use (attached)': 'in Benutzung (angebunden)',
    'available': 'verfügbar',
    'backing up': 'wird gesichert',
    'restoring': 'wird wiederhergestellt',
    'error': 'Fehler',
    'unknown': 'unbekannt',
    'queued': 'wartend',
    'running': 'läuft',
    'backup': 'Sicherung',
    'restore': 'Wiederherstellung',
    'verify': 'Prüfung',
    'delete': 'Löschen',
    'garbage collection': 'Speicherbereinigung',
    'cleanup': 'Aufräumen',
    'creating': 'wird angelegt',
    'deleting': 'wird gelöscht',
    'deleted': 'gelöscht',
    'Prepare': 'Vorbereiten',
    'Snapshot': 'Snapshot',
    'Attach': 'Anbinden',
    'Transfer': 'Übertragen',
    'Detach': 'Trennen',
    'Cleanup': 'Aufräumen',
    'Done': 'Fertig',
    'info': 'Info',
    'warning': 'Warnung',
    'command': 'Befehl',
    # volume model
    'local': 'lokal',
    'Host %1': 'Host %1',
    'Storage node %1': 'Speicherknoten %1',
    'Storage driver %1': 'Speichertreiber %1',
    'never': 'nie',
    'Attached to %1': 'Angebunden an %1',
    'Result': 'Ergebnis',
}

# Same source text, different German word in a context.
CONTEXT = {
    ('ndb::UiText', 'failed'): 'fehlgeschlagen',
    ('ndb::UiText', 'succeeded'): 'erfolgreich',
    ('ndb::UiText', 'cancelled'): 'abgebrochen',
    ('ndb::UiText', 'error'): 'Fehler',
    ('ndb::JobWidget', 'failed'): 'fehlgeschlagen',
}


def write_ts(tree, path):
    """Writes a .ts the way lupdate does (also used by fill_en.py)."""
    ET.indent(tree, space='    ')
    with open(path, 'wb') as f:
        f.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(f, encoding='utf-8', xml_declaration=False)
        f.write(b'\n')


def main():
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name('ndbackup_de.ts'))
    tree = ET.parse(path)
    missing = []
    for ctx in tree.getroot().findall('context'):
        cname = ctx.find('name').text
        for msg in ctx.findall('message'):
            src = msg.find('source').text
            de = CONTEXT.get((cname, src), DE.get(src))
            tr = msg.find('translation')
            if de is None:
                missing.append(f'{cname}: {src!r}')
                continue
            tr.attrib.pop('type', None)
            for child in list(tr):
                tr.remove(child)
            if msg.get('numerus') == 'yes':
                forms = de if isinstance(de, tuple) else (de, de)
                tr.text = None
                for f in forms:
                    ET.SubElement(tr, 'numerusform').text = f
            else:
                tr.text = de if isinstance(de, str) else de[0]
    if missing:
        sys.exit('no German text for:\n  ' + '\n  '.join(missing))
    write_ts(tree, path)


if __name__ == '__main__':
    main()
