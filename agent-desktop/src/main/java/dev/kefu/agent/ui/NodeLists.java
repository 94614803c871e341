package dev.kefu.agent.ui;

import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.scene.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Keeps a pane's children a mapped copy of a list, change by change (no rebuild of unchanged nodes). */
public final class NodeLists {
    private NodeLists() {}

    /** The listener on {@code source} is registered through {@code subs}: closing it stops the copying. */
    public static <T> void bind(Subscriptions subs, ObservableList<T> source, ObservableList<Node> target,
                                Function<T, Node> toNode) {
        List<Node> initial = new ArrayList<>();
        source.forEach(item -> initial.add(toNode.apply(item)));
        target.setAll(initial);
        subs.listen(source, (ListChangeListener<T>) c -> {
            while (c.next()) {
                if (c.wasPermutated()) {
                    List<Node> old = new ArrayList<>(target.subList(c.getFrom(), c.getTo()));
                    Node[] reordered = new Node[old.size()];
                    for (int i = c.getFrom(); i < c.getTo(); i++) {
                        reordered[c.getPermutation(i) - c.getFrom()] = old.get(i - c.getFrom());
                    }
                    target.remove(c.getFrom(), c.getTo());
                    target.addAll(c.getFrom(), List.of(reordered));
                    continue;
                }
                if (c.wasRemoved()) {
                    target.remove(c.getFrom(), c.getFrom() + c.getRemovedSize());
                }
                if (c.wasAdded()) {
                    List<Node> added = new ArrayList<>();
                    c.getAddedSubList().forEach(item -> added.add(toNode.apply(item)));
                    target.addAll(c.getFrom(), added);
                }
            }
        });
    }
}
