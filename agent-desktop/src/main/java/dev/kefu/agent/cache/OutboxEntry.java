package dev.kefu.agent.cache;

/**
 * A frame waiting for its ack: {@code frameJson} is resent as is (same cid) after every welcome.
 * {@code uploadPath}, when not null, is a local file still to upload first: the frame then lacks
 * its file key, which the upload supplies.
 */
public record OutboxEntry(String cid, String frameJson, long createdAt, String uploadPath) {

    public OutboxEntry(String cid, String frameJson, long createdAt) {
        this(cid, frameJson, createdAt, null);
    }

    public boolean awaitsUpload() {
        return uploadPath != null;
    }
}
