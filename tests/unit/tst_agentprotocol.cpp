// The agent's protocol pieces as pure functions: HTTP framing limits, strict JSON bodies, the
// error shape, TLS identities and the pinned trust store (core/net).
#include "net/apijson.h"
#include "net/httpmessage.h"
#include "net/identity.h"
#include "net/truststore.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace ndb;
using State = HttpParseResult::State;

class TestAgentProtocol : public QObject
{
    Q_OBJECT

private slots:
    void completeRequestsAndPipelining()
    {
        const QByteArray two = "POST /v1/x?y=1 HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                               "GET /v1/node HTTP/1.1\r\nHost: a\r\n\r\n";
        HttpParseResult r = parseHttpRequest(two);
        QCOMPARE(r.state, State::Complete);
        QCOMPARE(r.request.method, QByteArray("POST"));
        QCOMPARE(r.request.path, QByteArray("/v1/x"));
        QCOMPARE(r.request.body, QByteArray("{}"));
        QCOMPARE(r.request.header("content-type"), QByteArray("application/json"));
        r = parseHttpRequest(QByteArrayView(two).sliced(r.consumed));
        QCOMPARE(r.state, State::Complete);
        QCOMPARE(r.request.path, QByteArray("/v1/node"));
        QVERIFY(r.request.body.isEmpty());
    }

    void partialInputWaits()
    {
        const QByteArray request = "POST /v1/x HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
        for (qsizetype n = 0; n < request.size(); ++n)
            QCOMPARE(parseHttpRequest(QByteArrayView(request).first(n)).state, State::NeedMore);
        QCOMPARE(parseHttpRequest(request).state, State::Complete);
    }

    void limitsAndFraming_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        QTest::newRow("headers over 16 KiB") << ("GET / HTTP/1.1\r\nX: " + QByteArray(17000, 'a')) << 431;
        QTest::newRow("body over 1 MiB") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n") << 413;
        QTest::newRow("POST without length") << QByteArray("POST / HTTP/1.1\r\n\r\n") << 411;
        QTest::newRow("chunked upload") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") << 501;
        QTest::newRow("length twice") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx") << 400;
        QTest::newRow("negative length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400;
        QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\n\n") << 400;
        QTest::newRow("no version") << QByteArray("GET /\r\n\r\n") << 400;
        QTest::newRow("HTTP/2") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505;
        QTest::newRow("relative target") << QByteArray("GET v1 HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("lower-case method") << QByteArray("get / HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("folded header") << QByteArray("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n") << 400;
        QTest::newRow("control byte") << QByteArray("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n") << 400;
    }

    void limitsAndFraming()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        const HttpParseResult r = parseHttpRequest(bytes);
        QCOMPARE(r.state, State::Error);
        QCOMPARE(r.status, status);
        QVERIFY(!r.message.isEmpty());
    }

    void responses()
    {
        const QByteArray r = httpResponse(204);
        QVERIFY(r.startsWith("HTTP/1.1 204 No Content\r\n"));
        QVERIFY(r.contains("Content-Length: 0\r\n"));
        QVERIFY(httpResponse(413, "{}", "application/json", true).contains("Connection: close\r\n"));
    }

    void strictJson()
    {
        QCOMPARE(parseJsonObjectBody("", {}), QJsonObject());
        const QJsonObject o = parseJsonObjectBody(R"({"backup_id":"b1","seconds":5})", {QStringLiteral("backup_id"), QStringLiteral("seconds")});
        QCOMPARE(jsonString(o, QStringLiteral("backup_id")), QStringLiteral("b1"));
        QCOMPARE(jsonInteger(o, QStringLiteral("seconds"), 1, 10), 5);
        const auto message = [](const std::function<void()> &f) {
            try {
                f();
            } catch (const InvalidInputError &e) {
                return e.message();
            }
            return QString();
        };
        QVERIFY(message([] { parseJsonObjectBody("{", {}); }).contains(QStringLiteral("not valid JSON")));
        QVERIFY(message([] { parseJsonObjectBody("[1]", {}); }).contains(QStringLiteral("JSON object")));
        QVERIFY(message([] { parseJsonObjectBody(R"({"x":1})", {QStringLiteral("y")}); }).contains(QStringLiteral("unknown field 'x'")));
        QVERIFY(message([&] { jsonString(o, QStringLiteral("seconds")); }).contains(QStringLiteral("must be a string")));
        QVERIFY(message([&] { jsonString(o, QStringLiteral("name")); }).contains(QStringLiteral("lacks the field 'name'")));
        QVERIFY(message([&] { jsonInteger(o, QStringLiteral("seconds"), 6, 10); }).contains(QStringLiteral("between 6 and 10")));
        QVERIFY(message([] { jsonInteger(parseJsonObjectBody(R"({"n":1.5})", {QStringLiteral("n")}), QStringLiteral("n"), 0, 9); })
                    .contains(QStringLiteral("integer")));
        const QJsonObject error = QJsonDocument::fromJson(apiErrorBody(QStringLiteral("invalid"), QStringLiteral("why"))).object();
        QCOMPARE(error.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString(), QStringLiteral("why"));
        QCOMPARE(httpStatusFor(ErrorKind::InvalidInput), 400);
        QCOMPARE(httpStatusFor(ErrorKind::NotFound), 404);
        QCOMPARE(httpStatusFor(ErrorKind::Refused), 409);
        QCOMPARE(httpStatusFor(ErrorKind::Storage), 500);
    }

    void identityIsCreatedOnceWithAPrivateKey()
    {
        QTemporaryDir dir;
        TlsIdentity first = TlsIdentity::loadOrCreate(dir.filePath(QStringLiteral("id")), QStringLiteral("node1"),
                                                      {QStringLiteral("127.0.0.2"), QStringLiteral("node1.example")});
        QVERIFY(first.fingerprint().startsWith(QLatin1String("SHA256:")));
        QCOMPARE(first.fingerprint().size(), 7 + 64);
        QCOMPARE(QFileInfo(first.keyPath).permissions() & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
                 QFile::Permissions());
        const TlsIdentity again = TlsIdentity::loadOrCreate(dir.filePath(QStringLiteral("id")), QStringLiteral("other"));
        QCOMPARE(again.fingerprint(), first.fingerprint());
        QVERIFY(first.certificate.subjectAlternativeNames().values(QSsl::IpAddressEntry).contains(QStringLiteral("127.0.0.2")));
        QFile::remove(first.keyPath);
        QVERIFY_THROWS_EXCEPTION(Error, TlsIdentity::loadOrCreate(dir.filePath(QStringLiteral("id")), QStringLiteral("x")));
        QVERIFY(QFileInfo::exists(first.certificatePath)); // an incomplete identity is never replaced silently
    }

    void trustStorePinsFingerprints()
    {
        QTemporaryDir dir;
        const TlsIdentity console = TlsIdentity::loadOrCreate(dir.filePath(QStringLiteral("c")), QStringLiteral("console"));
        TrustStore store(dir.filePath(QStringLiteral("trust")));
        QVERIFY(!store.isTrusted(console.fingerprint()));
        // As an administrator may paste it: upper case, with colons.
        QString typed = console.fingerprint().mid(7).toUpper();
        for (int i = 62; i > 0; i -= 2)
            typed.insert(i, QLatin1Char(':'));
        QVERIFY(store.trust(QStringLiteral("SHA256:") + typed, QStringLiteral("backup server")));
        QVERIFY(store.isTrusted(console.fingerprint()));
        QVERIFY(!store.trust(console.fingerprint()));
        QVERIFY(store.certificatePath(console.fingerprint()).isEmpty());
        store.rememberCertificate(console.certificate);
        QVERIFY(!store.certificatePath(console.fingerprint()).isEmpty());
        QCOMPARE(store.entries().value(0).label, QStringLiteral("backup server"));
        QVERIFY_THROWS_EXCEPTION(InvalidInputError, store.trust(QStringLiteral("SHA256:1234")));
        QVERIFY(store.forget(console.fingerprint()));
        QVERIFY(!store.isTrusted(console.fingerprint()));
        QVERIFY(store.certificatePath(console.fingerprint()).isEmpty());
        QVERIFY(!store.forget(console.fingerprint()));
    }
};

QTEST_GUILESS_MAIN(TestAgentProtocol)
#include "tst_agentprotocol.moc"
