package dev.kefu.agent.upload;

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.ClientException;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.common.auth.DefaultCredentialProvider;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.event.ProgressEventType;
import com.aliyun.oss.event.ProgressListener;
import com.aliyun.oss.model.ObjectMetadata;
import com.aliyun.oss.model.PutObjectRequest;
import com.aliyun.oss.model.UploadFileRequest;
import dev.kefu.agent.net.FileGrant;
import dev.kefu.agent.net.FilesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Puts a file where the relay says: asks {@code POST /api/files/credentials}, checks size and type
 * against the grant's limits, then uploads straight to OSS with the temporary STS credentials (the
 * real aliyun-sdk-oss client; multipart with a checkpoint file above {@link Options#multipartThreshold}
 * so that a retry after a network drop continues with the parts still missing), or with one
 * {@code PUT} to the relay in local mode. Blocking: run it on a worker thread, never the UI thread.
 *
 * <p>The object key is {@code PREFIX + uploadId + "/" + name}: the same {@code uploadId} (the
 * message's cid) gives the same key and the same checkpoint, which is what makes a retry resume.
 */
public final class Uploader {
    private static final Logger log = LoggerFactory.getLogger(Uploader.class);

    /** Told of bytes sent so far out of {@code total}; called on the uploading thread. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (sent, total) -> { };

        void update(long sent, long total);
    }

    /**
     * @param multipartThreshold files larger than this (bytes) go up in parts, resumably
     * @param partSize           bytes per part (OSS: at least 100 KB)
     * @param signatureV4        sign OSS requests with V4 ({@code OSS4-HMAC-SHA256}) instead of V1
     */
    public record Options(long multipartThreshold, long partSize, int parallelParts, boolean signatureV4) {
        public static final Options DEFAULTS = new Options(8L * 1024 * 1024, 2L * 1024 * 1024, 2, false);

        public Options withSignatureV4(boolean v4) {
            return new Options(multipartThreshold, partSize, parallelParts, v4);
        }

        public Options withParts(long threshold, long size, int parallel) {
            return new Options(threshold, size, parallel, signatureV4);
        }
    }

    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"), Map.entry("bmp", "image/bmp"),
            Map.entry("pdf", "application/pdf"), Map.entry("txt", "text/plain"), Map.entry("zip", "application/zip"),
            Map.entry("doc", "application/msword"), Map.entry("xls", "application/vnd.ms-excel"),
            Map.entry("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            Map.entry("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Map.entry("mp4", "video/mp4"), Map.entry("mp3", "audio/mpeg"), Map.entry("exe", "application/x-msdownload"));

    private final FilesClient relay;
    private final Path checkpoints;
    private final Options options;

    /** {@code checkpointDir}: where multipart checkpoints live (the app's data folder), created on demand. */
    public Uploader(FilesClient relay, Path checkpointDir, Options options) {
        this.relay = relay;
        this.checkpoints = checkpointDir;
        this.options = options;
    }

    public Uploader(FilesClient relay, Path checkpointDir) {
        this(relay, checkpointDir, Options.DEFAULTS);
    }

    /** The content type by file name extension; {@code application/octet-stream} when unknown. */
    public static String mimeOf(String fileName) {
        int dot = fileName.lastIndexOf('.');
        String ext = dot < 0 ? "" : fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    /** Uploads {@code file} as {@code name}; {@code uploadId} names the upload (use the message's cid). */
    public UploadedFile upload(String uploadId, Path file, String name, String mime, Progress progress)
            throws UploadException {
        return upload(uploadId, file, name, mime, progress, g -> g.prefix() + uploadId + "/" + safeName(name));
    }

    /** As above with the key chosen by {@code keyOf} (tests use it to try a key outside the grant). */
    UploadedFile upload(String uploadId, Path file, String name, String mime, Progress progress,
                        Function<FileGrant, String> keyOf) throws UploadException {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UploadException(UploadException.Reason.UNREADABLE, "cannot read " + file.getFileName() + ": " + e.getMessage(), e);
        }
        FileGrant grant;
        try {
            grant = relay.credentials();
        } catch (FilesClient.FilesException e) {
            throw fromRelay(e);
        }
        check(grant, name, size, mime);
        String key = keyOf.apply(grant);
        if (grant.isOss()) {
            ossUpload(grant, uploadId, key, file, size, mime, progress);
        } else {
            try {
                relay.putLocal(grant, key, name, mime, file, sent -> progress.update(sent, size));
            } catch (FilesClient.FilesException e) {
                throw fromRelay(e);
            }
        }
        progress.update(size, size);
        return new UploadedFile(key, name, size, mime);
    }

    /** The size and type limits of {@code grant}, checked before anything is sent. */
    public static void check(FileGrant grant, String name, long size, String mime) throws UploadException {
        if (size > grant.maxSize()) {
            throw new UploadException(UploadException.Reason.TOO_LARGE, String.format(Locale.ROOT,
                    "%s is too large: %s, the limit is %s", name, human(size), human(grant.maxSize())), null);
        }
        if (size == 0) {
            throw new UploadException(UploadException.Reason.UNREADABLE, name + " is empty", null);
        }
        if (!grant.allows(mime)) {
            throw new UploadException(UploadException.Reason.TYPE_NOT_ALLOWED, String.format(Locale.ROOT,
                    "%s: files of type %s may not be sent (allowed: %s)", name, mime, String.join(", ", grant.allowedTypes())), null);
        }
    }

    private void ossUpload(FileGrant grant, String uploadId, String key, Path file, long size, String mime,
                           Progress progress) throws UploadException {
        if (grant.expiration().isBefore(Instant.now())) {
            log.warn("credentials from the relay expired at {}; trying anyway", grant.expiration());
        }
        ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
        conf.setSignatureVersion(options.signatureV4() ? SignVersion.V4 : SignVersion.V1);
        conf.setMaxErrorRetry(1);
        conf.setConnectionTimeout(10_000);
        conf.setSocketTimeout(30_000);
        OSS oss = OSSClientBuilder.create().endpoint(grant.endpoint())
                .credentialsProvider(new DefaultCredentialProvider(grant.accessKeyId(), grant.accessKeySecret(),
                        grant.securityToken()))
                .clientConfiguration(conf).region(grant.region()).build();
        AtomicLong sent = new AtomicLong();
        ProgressListener listener = event -> {
            if (event.getEventType() == ProgressEventType.REQUEST_BYTE_TRANSFER_EVENT) {
                progress.update(Math.min(size, sent.addAndGet(event.getBytes())), size);
            }
        };
        ObjectMetadata meta = new ObjectMetadata();
        meta.setContentType(mime);
        try {
            if (size <= options.multipartThreshold()) {
                PutObjectRequest put = new PutObjectRequest(grant.bucket(), key, file.toFile(), meta);
                put.setProgressListener(listener);
                oss.putObject(put);
            } else {
                Files.createDirectories(checkpoints);
                UploadFileRequest up = new UploadFileRequest(grant.bucket(), key);
                up.setUploadFile(file.toString());
                up.setPartSize(options.partSize());
                up.setTaskNum(options.parallelParts());
                up.setEnableCheckpoint(true);
                up.setCheckpointFile(checkpointFile(uploadId).toString());
                up.setObjectMetadata(meta);
                up.setProgressListener(listener);
                oss.uploadFile(up);
            }
        } catch (OSSException e) {
            throw fromOss(e);
        } catch (ClientException e) {
            throw new UploadException(UploadException.Reason.NETWORK, "storage unreachable: " + e.getErrorMessage(), e);
        } catch (IOException e) {
            throw new UploadException(UploadException.Reason.UNREADABLE, "cannot prepare the upload: " + e.getMessage(), e);
        } catch (Throwable e) {
            if (e.getCause() instanceof OSSException oe) {
                throw fromOss(oe);
            }
            throw new UploadException(UploadException.Reason.NETWORK, "upload interrupted: " + e.getMessage(), e);
        } finally {
            oss.shutdown();
        }
    }

    /** Where the multipart checkpoint of {@code uploadId} is kept until the upload completes. */
    public Path checkpointFile(String uploadId) {
        return checkpoints.resolve(uploadId.replaceAll("[^A-Za-z0-9._-]", "_") + ".ucp");
    }

    private static UploadException fromOss(OSSException e) {
        String code = e.getErrorCode();
        UploadException.Reason reason = switch (code == null ? "" : code) {
            case "SecurityTokenExpired", "InvalidSecurityToken" -> UploadException.Reason.EXPIRED;
            case "EntityTooLarge" -> UploadException.Reason.TOO_LARGE;
            default -> UploadException.Reason.REFUSED;
        };
        return new UploadException(reason, "storage refused the upload: " + code + " (" + e.getErrorMessage() + ")", e);
    }

    private static UploadException fromRelay(FilesClient.FilesException e) {
        UploadException.Reason reason = switch (e.status()) {
            case 0 -> UploadException.Reason.NETWORK;
            case 413 -> UploadException.Reason.TOO_LARGE;
            case 415 -> UploadException.Reason.TYPE_NOT_ALLOWED;
            default -> e.status() >= 500 ? UploadException.Reason.NETWORK : UploadException.Reason.REFUSED;
        };
        return new UploadException(reason, "relay refused the upload: " + e.getMessage() + " (" + e.code() + ")", e);
    }

    static String safeName(String name) {
        String s = name.replaceAll("[\\\\/:*?\"<>|\\p{Cntrl}]", "_").strip();
        return s.isEmpty() ? "file" : s;
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
    }
}
