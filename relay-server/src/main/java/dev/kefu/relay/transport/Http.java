package dev.kefu.relay.transport;

import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Small helpers for the relay's HTTP endpoints: JSON answers, error shapes, CORS. */
final class Http {
    private Http() {}

    static void json(Response response, int status, String json, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, json, callback);
    }

    static void text(Response response, int status, String contentType, String body, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        Content.Sink.write(response, true, body, callback);
    }

    /** The long-poll error shape: {@code {"frames":[error]}} with a 4xx status. */
    static void frameError(Response response, ErrorCode code, String message, Callback callback) {
        json(response, statusOf(code), "{\"frames\":" + FrameCodec.encodeArray(List.of(Frame.Error.of(code, message)))
                + "}", callback);
    }

    /** An API error: {@code {"type":"error","code":...,"message":...}}. */
    static void apiError(Response response, int status, ErrorCode code, String message, Callback callback) {
        json(response, status, FrameCodec.encode(Frame.Error.of(code, message)), callback);
    }

    static int statusOf(ErrorCode code) {
        return switch (code) {
            case BAD_TOKEN -> 401;
            case BAD_IDENTITY, IDENTITY_REQUIRED, NOT_ALLOWED -> 403;
            case UNKNOWN_SITE, UNKNOWN_SESSION, UNKNOWN_CONV -> 404;
            case TOO_LARGE -> 413;
            case RATE_LIMITED -> 429;
            case SERVER_BUSY -> 503;
            default -> 400;
        };
    }

    /** Lets the requesting origin read the answer (the site's own origin checks happen at hello). */
    static void allowOrigin(Request request, Response response) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null) {
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.getHeaders().put(HttpHeader.VARY, "Origin");
        }
    }

    /** Answers a CORS preflight. */
    static void preflight(Request request, Response response, Callback callback) {
        allowOrigin(request, response);
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Authorization");
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, "600");
        response.setStatus(204);
        callback.succeeded();
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
