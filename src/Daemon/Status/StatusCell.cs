namespace Recurring.Daemon.Status;

/// <summary>
/// One writer's part of the daemon's status: an immutable record that its owner replaces and anyone may read. Each
/// part has exactly one writer (the reader, the trainer, the checkpoint writer, the training service), so readers
/// never see a half-made change and writers never coordinate.
/// </summary>
public sealed class StatusCell<T>(T initial) where T : class
{
    private T _current = initial;

    public T Current => Volatile.Read(ref _current);

    /// <summary>Replaces the state with <paramref name="change"/> of it. Only the owner calls this.</summary>
    public void Update(Func<T, T> change) => Volatile.Write(ref _current, change(Current));
}
