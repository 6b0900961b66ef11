// The agent API's request framing and bodies: parseHttpRequest over the raw bytes a TLS peer sends
// (several pipelined requests per input), then each complete request's body through the strict
// JSON object parser and the typed field accessors the router uses.
#include "fuzzsupport.h"

#include "net/apijson.h"
#include "net/httpmessage.h"
#include "util/error.h"

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    QByteArrayView rest(input);
    for (int n = 0; n < 16 && !rest.isEmpty(); ++n) {
        const HttpParseResult r = parseHttpRequest(rest);
        if (r.state != HttpParseResult::State::Complete) {
            if (r.state == HttpParseResult::State::Error)
                NDB_FUZZ_CHECK(r.status >= 400 && r.status < 600 && !r.message.isEmpty());
            break;
        }
        NDB_FUZZ_CHECK(r.consumed > 0 && r.consumed <= rest.size());
        NDB_FUZZ_CHECK(r.request.body.size() <= kMaxHttpBodyBytes);
        NDB_FUZZ_CHECK(r.request.path.startsWith('/'));
        try {
            const QJsonObject body = parseJsonObjectBody(r.request.body, {QStringLiteral("backup_id"), QStringLiteral("name"),
                                                                          QStringLiteral("seconds")});
            (void)jsonString(body, QStringLiteral("backup_id"), false);
            (void)jsonString(body, QStringLiteral("name"), false);
            (void)jsonInteger(body, QStringLiteral("seconds"), 1, 3600, false);
        } catch (const Error &) {
        }
        rest = rest.sliced(r.consumed);
    }
    return 0;
}
