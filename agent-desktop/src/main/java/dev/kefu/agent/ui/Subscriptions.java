package dev.kefu.agent.ui;

import javafx.beans.InvalidationListener;
import javafx.beans.Observable;
import javafx.beans.property.Property;
import javafx.beans.value.ChangeListener;
import javafx.beans.value.ObservableValue;
import javafx.collections.ListChangeListener;
import javafx.collections.MapChangeListener;
import javafx.collections.ObservableList;
import javafx.collections.ObservableMap;

import java.util.ArrayList;
import java.util.List;

/**
 * What a view registered on longer-lived objects (view models, the clock): listeners, bindings of its
 * nodes' properties, anything else to undo. A view registers through one of these and its
 * {@code dispose()} closes it, so that a screen that is replaced (language switch, logout) stops
 * reacting at once and can be collected, instead of waiting for weak listeners to be cleared.
 * FX thread only.
 *
 * <pre>{@code subs.listen(vm.selectedProperty(), (o, was, id) -> reflect(id));
 * subs.bind(title.textProperty(), Bindings.createStringBinding(...));
 * ...
 * subs.close(); // in the view's dispose()}</pre>
 */
public final class Subscriptions implements AutoCloseable {
    private final List<Runnable> undo = new ArrayList<>();
    private boolean closed;

    public <T> void listen(ObservableValue<T> value, ChangeListener<? super T> listener) {
        value.addListener(listener);
        onClose(() -> value.removeListener(listener));
    }

    public void listen(Observable observable, InvalidationListener listener) {
        observable.addListener(listener);
        onClose(() -> observable.removeListener(listener));
    }

    public <E> void listen(ObservableList<E> list, ListChangeListener<? super E> listener) {
        list.addListener(listener);
        onClose(() -> list.removeListener(listener));
    }

    public <K, V> void listen(ObservableMap<K, V> map, MapChangeListener<? super K, ? super V> listener) {
        map.addListener(listener);
        onClose(() -> map.removeListener(listener));
    }

    /** {@code target.bind(source)}, unbound on close. */
    public <T> void bind(Property<T> target, ObservableValue<? extends T> source) {
        target.bind(source);
        onClose(target::unbind);
    }

    /** {@code a.bindBidirectional(b)}, unbound on close. */
    public <T> void bindBidirectional(Property<T> a, Property<T> b) {
        a.bindBidirectional(b);
        onClose(() -> a.unbindBidirectional(b));
    }

    /** Runs {@code work} on close (newest first). After close it runs at once: nothing registered late stays. */
    public void onClose(Runnable work) {
        if (closed) {
            work.run();
            return;
        }
        undo.add(work);
    }

    /** How many registrations are held; 0 once closed. */
    public int size() {
        return undo.size();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Undoes every registration, newest first. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (int i = undo.size() - 1; i >= 0; i--) {
            undo.get(i).run();
        }
        undo.clear();
    }
}
