package dev.kefu.agent.upload;

import dev.kefu.agent.net.FilesClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Images and files of messages, fetched through a signed URL ({@code GET /api/files/url}) and kept
 * under the data folder, one file per storage key (named by the key's SHA-256), so that a
 * thumbnail shown once is shown again without the network. Blocking; never on the UI thread.
 */
public final class FileCache {
    private final FilesClient relay;
    private final Path dir;

    public FileCache(FilesClient relay, Path dir) {
        this.relay = relay;
        this.dir = dir;
    }

    /** The bytes of {@code key}: from the cache, else downloaded by a fresh signed URL and cached. */
    public byte[] bytes(String key) throws IOException {
        Path cached = dir.resolve(name(key));
        if (Files.isRegularFile(cached)) {
            return Files.readAllBytes(cached);
        }
        byte[] body = relay.download(relay.signedUrl(key).url());
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "dl", ".part");
        Files.write(tmp, body);
        Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return body;
    }

    /** A local copy of {@code key} named {@code name} (for opening a file with the system's viewer). */
    public Path localCopy(String key, String name) throws IOException {
        byte[] body = bytes(key);
        Path out = dir.resolve("open").resolve(name(key)).resolve(Uploader.safeName(name));
        Files.createDirectories(out.getParent());
        Files.write(out, body);
        return out;
    }

    /** A signed URL of {@code key}, valid for a few minutes. */
    public String signedUrl(String key) throws IOException {
        return relay.signedUrl(key).url();
    }

    public boolean isCached(String key) {
        return Files.isRegularFile(dir.resolve(name(key)));
    }

    private static String name(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
