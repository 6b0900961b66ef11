#include "httpmessage.h"

namespace ndb {

namespace {

bool isTokenChar(char c)
{
    // RFC 9110 tchar
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

HttpParseResult failure(int status, QByteArray message)
{
    HttpParseResult r;
    r.state = HttpParseResult::State::Error;
    r.status = status;
    r.message = std::move(message);
    return r;
}

} // namespace

QByteArray HttpRequest::header(QByteArrayView lowerCaseName) const
{
    for (const auto &[name, value] : headers)
        if (name == lowerCaseName)
            return value;
    return {};
}

HttpParseResult parseHttpRequest(QByteArrayView bytes)
{
    // Qt 6.4's QByteArrayView has no left()/mid(); a raw-data QByteArray copies nothing.
    const QByteArray buffer = QByteArray::fromRawData(bytes.data(), bytes.size());
    const qsizetype headerEnd = buffer.left(kMaxHttpHeaderBytes + 4).indexOf(QByteArrayView("\r\n\r\n"));
    if (headerEnd < 0) {
        if (buffer.size() >= kMaxHttpHeaderBytes + 4)
            return failure(431, "the request line and headers are larger than 16 KiB");
        // A bare LF where CRLF belongs would otherwise wait for ever.
        if (buffer.contains(QByteArrayView("\n\n")))
            return failure(400, "header lines must end in CRLF");
        return {};
    }
    const QByteArray head(buffer.constData(), headerEnd); // a deep copy: the request outlives `bytes`
    HttpParseResult result;
    HttpRequest &request = result.request;

    qsizetype lineEnd = head.indexOf(QByteArrayView("\r\n"));
    const QByteArray requestLine = lineEnd < 0 ? head : head.left(lineEnd);
    const qsizetype sp1 = requestLine.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0)
        return failure(400, "malformed request line: expected 'METHOD /path HTTP/1.1'");
    const QByteArray method = requestLine.left(sp1);
    const QByteArray target = requestLine.mid(sp1 + 1, sp2 - sp1 - 1);
    const QByteArray version = requestLine.mid(sp2 + 1);
    for (char c : method)
        if (c < 'A' || c > 'Z')
            return failure(400, "malformed request line: the method must be an upper-case token");
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return failure(505, "only HTTP/1.1 is spoken here");
    if (target.isEmpty() || target.front() != '/' || target.size() > 2048)
        return failure(400, "malformed request target: expected an absolute path of at most 2048 bytes");
    for (char c : target)
        if (c <= ' ' || c >= 127)
            return failure(400, "the request target holds a control, space or non-ASCII byte");
    request.method = method;
    const qsizetype query = target.indexOf('?');
    request.path = query < 0 ? target : target.left(query);
    if (query >= 0)
        request.query = target.mid(query + 1);

    qsizetype pos = lineEnd < 0 ? head.size() : lineEnd + 2;
    bool haveLength = false;
    qint64 contentLength = 0;
    while (pos < head.size()) {
        lineEnd = head.indexOf(QByteArrayView("\r\n"), pos);
        const QByteArray line = head.mid(pos, (lineEnd < 0 ? head.size() : lineEnd) - pos);
        pos = lineEnd < 0 ? head.size() : lineEnd + 2;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return failure(400, "malformed header line: expected 'Name: value' (continuation lines are not accepted)");
        QByteArray name = line.left(colon).toLower();
        for (char c : name)
            if (!isTokenChar(c))
                return failure(400, "malformed header name");
        const QByteArray value = line.mid(colon + 1).trimmed();
        for (char c : value)
            if ((c < ' ' && c != '\t') || c == 127)
                return failure(400, "a header value holds a control byte");
        if (name == "transfer-encoding")
            return failure(501, "Transfer-Encoding (chunked uploads) is not supported: send the body with Content-Length");
        if (name == "content-length") {
            if (haveLength)
                return failure(400, "Content-Length given twice");
            if (value.isEmpty() || value.size() > 18)
                return failure(400, "Content-Length must be a decimal number");
            for (char c : value)
                if (c < '0' || c > '9')
                    return failure(400, "Content-Length must be a decimal number");
            haveLength = true;
            contentLength = value.toLongLong();
        }
        request.headers.append({std::move(name), value});
    }
    if (contentLength > kMaxHttpBodyBytes)
        return failure(413, "the request body is larger than 1 MiB");
    const bool bodyMethod = request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
    if (bodyMethod && !haveLength)
        return failure(411, "a request with a body needs a Content-Length header");
    const qsizetype total = headerEnd + 4 + qsizetype(contentLength);
    if (buffer.size() < total)
        return {};
    request.body = QByteArray(buffer.constData() + headerEnd + 4, qsizetype(contentLength)); // a deep copy
    result.state = HttpParseResult::State::Complete;
    result.consumed = total;
    return result;
}

QByteArray httpReasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    }
    return "Status";
}

QByteArray httpResponse(int status, const QByteArray &body, const QByteArray &contentType, bool close,
                        const QByteArray &extraHeaders)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + httpReasonPhrase(status) + "\r\n";
    if (!body.isEmpty())
        out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    if (close)
        out += "Connection: close\r\n";
    out += extraHeaders;
    out += "\r\n";
    out += body;
    return out;
}

} // namespace ndb
