// The agent's Cinder-compatible API: the raw bytes a TLS peer sends, framed by parseHttpRequest,
// then each complete request mapped by parseCinderRequest (path, query, strict JSON body, names
// and ids), and the list options applied by cinderPage to a few volumes. Seeds are requests
// python-cinderclient 9.1 sent (list, backup-create --force, backup-list --sort --limit,
// backup-restore to an existing and a new volume, backup-delete) and a v2 body of the specification.
#include "fuzzsupport.h"

#include "cinderrequest.h"
#include "net/httpmessage.h"
#include "util/error.h"

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    QByteArrayView rest(input);
    static const QList<QJsonObject> items = {
        {{QStringLiteral("id"), QStringLiteral("e96ade4e-7f81-537f-87aa-5dea51219e8a")}, {QStringLiteral("name"), QStringLiteral("vol1")},
         {QStringLiteral("size"), 1}, {QStringLiteral("status"), QStringLiteral("in-use")}},
        {{QStringLiteral("id"), QStringLiteral("5bc2072c-5b91-5b65-ae8f-35dd1d6010a8")}, {QStringLiteral("name"), QStringLiteral("vol2")},
         {QStringLiteral("size"), 2}, {QStringLiteral("status"), QStringLiteral("available")}}};
    for (int n = 0; n < 8 && !rest.isEmpty(); ++n) {
        const HttpParseResult r = parseHttpRequest(rest);
        if (r.state != HttpParseResult::State::Complete)
            break;
        try {
            const CinderRequest call = parseCinderRequest(r.request);
            NDB_FUZZ_CHECK(call.apiVersion == 2 || call.apiVersion == 3);
            NDB_FUZZ_CHECK(!call.project.contains(QLatin1Char('/')) && !call.id.contains(QLatin1Char('/')));
            NDB_FUZZ_CHECK(!call.container.contains(QLatin1Char('/')) && !call.restoreName.contains(QLatin1Char('/')));
            NDB_FUZZ_CHECK(call.list.limit >= -1 && call.list.limit <= 1000);
            bool more = false;
            const QList<QJsonObject> page = cinderPage(items, call.list, {QStringLiteral("id"), QStringLiteral("name"),
                                                                          QStringLiteral("size"), QStringLiteral("status")}, &more);
            NDB_FUZZ_CHECK(page.size() <= items.size());
        } catch (const Error &e) {
            const int status = cinderStatusFor(e);
            NDB_FUZZ_CHECK(status >= 400 && status < 600 && !e.message().isEmpty());
            NDB_FUZZ_CHECK(!cinderFaultBody(status, e.message()).isEmpty());
        }
        rest = rest.sliced(r.consumed);
    }
    return 0;
}
