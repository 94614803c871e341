package dev.kefu.agent.upload;

import dev.kefu.protocol.Frame;
import dev.kefu.protocol.MessageKind;

/** A file now in storage under {@code key}: what a {@code send} of kind image/file carries. */
public record UploadedFile(String key, String name, long size, String mime) {

    public Frame.FileRef ref() {
        return new Frame.FileRef(key, name, size, mime);
    }

    /** {@code image} for image types, else {@code file}. */
    public String kind() {
        return kindOf(mime);
    }

    public static String kindOf(String mime) {
        return mime != null && mime.startsWith("image/") ? MessageKind.IMAGE : MessageKind.FILE;
    }
}
