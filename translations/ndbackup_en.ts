<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
    <context>
        <name>ndb::HistoryView</name>
        <message numerus="yes">
            <source>Event log of job %1 (%n event(s))</source>
            <translation>
                <numerusform>Event log of job %1 (%n event)</numerusform>
                <numerusform>Event log of job %1 (%n events)</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>ndb::MainWindow</name>
        <message numerus="yes">
            <source>%n job(s) not finished yet:</source>
            <translation>
                <numerusform>%n job not finished yet:</numerusform>
                <numerusform>%n jobs not finished yet:</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Cancelling %n job(s) and cleaning up before quitting…</source>
            <translation>
                <numerusform>Cancelling %n job and cleaning up before quitting…</numerusform>
                <numerusform>Cancelling %n jobs and cleaning up before quitting…</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n job(s) continue in the background; ndbackup quits when they end.</source>
            <translation>
                <numerusform>%n job continues in the background; ndbackup quits when it ends.</numerusform>
                <numerusform>%n jobs continue in the background; ndbackup quits when they end.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n volume(s)</source>
            <translation>
                <numerusform>%n volume</numerusform>
                <numerusform>%n volumes</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n in use</source>
            <translation>
                <numerusform>%n in use</numerusform>
                <numerusform>%n in use</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n busy</source>
            <translation>
                <numerusform>%n busy</numerusform>
                <numerusform>%n busy</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n selected</source>
            <translation>
                <numerusform>%n selected</numerusform>
                <numerusform>%n selected</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n job(s) running</source>
            <translation>
                <numerusform>%n job running</numerusform>
                <numerusform>%n jobs running</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n storage node(s) offline</source>
            <translation>
                <numerusform>%n storage node offline</numerusform>
                <numerusform>%n storage nodes offline</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>ndb::ReportsDialog</name>
        <message numerus="yes">
            <source>Written (%n job(s)):</source>
            <translation>
                <numerusform>Written (%n job):</numerusform>
                <numerusform>Written (%n jobs):</numerusform>
            </translation>
        </message>
    </context>
</TS>
