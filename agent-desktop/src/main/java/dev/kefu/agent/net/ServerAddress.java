package dev.kefu.agent.net;

import java.net.URI;
import java.util.Locale;

/**
 * Where the relay is, as the agent typed it ({@code 127.0.0.1:8080}, {@code http://host:8080},
 * {@code https://kefu.example.com}). HTTP endpoints hang off {@link #http}; the WebSocket URL is
 * derived from it ({@code http -> ws}, {@code https -> wss}).
 *
 * @param base scheme, host and port only, without a trailing slash
 */
public record ServerAddress(URI base) {

    public static ServerAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the relay address is empty");
        }
        String s = text.trim();
        if (!s.contains("://")) {
            s = "http://" + s;
        }
        URI uri;
        try {
            uri = URI.create(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an address: " + text, e);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        scheme = switch (scheme) {
            case "http", "ws" -> "http";
            case "https", "wss" -> "https";
            default -> throw new IllegalArgumentException("unsupported scheme: " + uri.getScheme());
        };
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("no host in " + text);
        }
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        return new ServerAddress(URI.create(scheme + "://" + uri.getHost() + port));
    }

    /** {@code path} (starting with {@code /}) on the relay's HTTP side. */
    public URI http(String path) {
        return URI.create(base + path);
    }

    /** {@code path} (starting with {@code /}) on the relay's WebSocket side. */
    public URI ws(String path) {
        String wsBase = base.toString().replaceFirst("^http", "ws");
        return URI.create(wsBase + path);
    }

    /** A name for this relay that is safe in file names, e.g. {@code 127.0.0.1_8080}. */
    public String fileKey() {
        String port = base.getPort() < 0 ? ("https".equals(base.getScheme()) ? "443" : "80") : String.valueOf(base.getPort());
        return (base.getHost() + "_" + port).replaceAll("[^A-Za-z0-9._-]", "_");
    }

    @Override
    public String toString() {
        return base.toString();
    }
}
