#pragma once
// A strict HTTP/1.1 request parser and response writer for the agent's API: pure functions over
// bytes (no sockets), so that a fuzz target is one call. What it accepts: a request line
// "METHOD /path HTTP/1.1", header lines ending in CRLF, together at most 16 KiB; a body only with
// Content-Length (at most 1 MiB; chunked uploads are refused); nothing else.
#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace ndb {

inline constexpr qsizetype kMaxHttpHeaderBytes = 16 * 1024;
inline constexpr qsizetype kMaxHttpBodyBytes = 1024 * 1024;

struct HttpRequest
{
    QByteArray method; // upper-case token: GET, POST, DELETE ...
    QByteArray path;   // the target without its query string; starts with '/'
    QByteArray query;  // what followed '?' in the target (still percent-encoded); empty when none
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased, values trimmed
    QByteArray body;

    QByteArray header(QByteArrayView lowerCaseName) const; // empty when absent
};

struct HttpParseResult
{
    enum class State { NeedMore, Complete, Error };
    State state = State::NeedMore;
    HttpRequest request;     // when Complete
    qsizetype consumed = 0;  // when Complete: bytes of `buffer` that made up the request
    int status = 0;          // when Error: the HTTP status to answer with (400, 411, 413, 431, 501, 505)
    QByteArray message;      // when Error: what is wrong, for the error body
};

// Parses the first request at the start of `buffer`. NeedMore: wait for more bytes (the buffer
// never needs to grow past kMaxHttpHeaderBytes + kMaxHttpBodyBytes: the parser says Error first).
HttpParseResult parseHttpRequest(QByteArrayView buffer);

// "HTTP/1.1 <status> <reason>" with Content-Length (and Content-Type when there is a body);
// `extraHeaders` are complete "Name: value\r\n" lines added as they are.
QByteArray httpResponse(int status, const QByteArray &body = {},
                        const QByteArray &contentType = QByteArrayLiteral("application/json"), bool close = false,
                        const QByteArray &extraHeaders = {});
QByteArray httpReasonPhrase(int status);

} // namespace ndb
