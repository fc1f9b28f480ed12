using Microsoft.Extensions.Logging;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Scheduling;

namespace Quorum.Reporting;

/// <summary>
/// Takes Events, pod conditions and PodGroup status off the loop: each call queues a write and returns
/// at once; a few workers send them. Writes coalesce per object and kind (the latest state wins, so a
/// group refused ten times while the API server is slow is written once, with the last message), and
/// they give way to binds: while binds wait for a worker, no new status write starts, for up to
/// <see cref="MaxYield"/> at a time so status is never starved. They share the client's qps budget.
/// </summary>
public sealed partial class StatusWriter : ISchedulingReporter, IAsyncDisposable
{
    /// <summary>The longest a status write waits for queued binds before it goes anyway.</summary>
    public static readonly TimeSpan MaxYield = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan YieldStep = TimeSpan.FromMilliseconds(10);

    private readonly ISchedulingReporter _inner;
    private readonly Func<int> _bindsQueued;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Dictionary<(string Kind, ObjectKey Object), (Func<CancellationToken, Task> Write, CancellationToken Token)> _pending = [];
    private readonly Queue<(string Kind, ObjectKey Object)> _order = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Task[] _workers;
    private int _running;
    private TaskCompletionSource _idle = Completed();

    public StatusWriter(ISchedulingReporter inner, Func<int> bindsQueued, TimeProvider time, ILogger<StatusWriter> log, int parallelism = 4)
    {
        _inner = inner;
        _bindsQueued = bindsQueued;
        _time = time;
        _log = log;
        _workers = [.. Enumerable.Range(0, parallelism).Select(_ => Task.Run(WorkAsync))];
    }

    /// <summary>Writes queued and not yet started.</summary>
    public int Pending
    {
        get
        {
            lock (_gate) return _pending.Count;
        }
    }

    /// <summary>Completes when nothing is queued or being written.</summary>
    public Task WhenIdle
    {
        get
        {
            lock (_gate) return _idle.Task;
        }
    }

    public Task ScheduledAsync(Pod pod, string node, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // A refusal written after the bind would tell the user the opposite of what happened.
            Drop(("Unschedulable", pod.Key));
            if (pod.Group is { } g) Drop(("Unschedulable", new ObjectKey(pod.Key.Namespace, g.PodGroup)));
        }
        return Queue(("Scheduled", pod.Key), ct => _inner.ScheduledAsync(pod, node, ct), cancellationToken);
    }

    public Task UnschedulableAsync(ObjectKey group, bool isPodGroup, IReadOnlyList<Pod> pendingPods, string reason, string message, CancellationToken cancellationToken) =>
        Queue(("Unschedulable", group), ct => _inner.UnschedulableAsync(group, isPodGroup, pendingPods, reason, message, ct), cancellationToken);

    public Task GroupStatusAsync(ObjectKey group, GroupStatus status, CancellationToken cancellationToken) =>
        Queue(("Status", group), ct => _inner.GroupStatusAsync(group, status, ct), cancellationToken);

    public Task RefusedAsync(RefusedObject refused, CancellationToken cancellationToken) =>
        Queue(($"Refused/{refused.Kind}", new ObjectKey(refused.Namespace ?? "", refused.Name)), ct => _inner.RefusedAsync(refused, ct), cancellationToken);

    private Task Queue((string, ObjectKey) key, Func<CancellationToken, Task> write, CancellationToken token)
    {
        lock (_gate)
        {
            var added = _pending.TryAdd(key, (write, token));
            if (!added)
            {
                _pending[key] = (write, token);
                return Task.CompletedTask;
            }
            _order.Enqueue(key);
            if (_idle.Task.IsCompleted) _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        _available.Release();
        return Task.CompletedTask;
    }

    // Under _gate. The key stays in _order; a worker that dequeues it finds nothing and moves on.
    private void Drop((string, ObjectKey) key) => _pending.Remove(key);

    private async Task WorkAsync()
    {
        try
        {
            while (true)
            {
                await _available.WaitAsync(_stop.Token).ConfigureAwait(false);
                var waited = TimeSpan.Zero;
                while (_bindsQueued() > 0 && waited < MaxYield)
                {
                    await Task.Delay(YieldStep, _time, _stop.Token).ConfigureAwait(false);
                    waited += YieldStep;
                }
                Func<CancellationToken, Task>? write = null;
                CancellationToken token = default;
                lock (_gate)
                {
                    if (_order.TryDequeue(out var key) && _pending.Remove(key, out var item))
                    {
                        (write, token) = item;
                        _running++;
                    }
                }
                if (write is not null)
                {
                    try
                    {
                        if (!token.IsCancellationRequested) await write(token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                    }
                    catch (Exception e)
                    {
                        // Reporting must never stop scheduling; the reporter logs API errors itself.
                        Log.WriteFailed(_log, e);
                    }
                }
                lock (_gate)
                {
                    if (write is not null) _running--;
                    if (_running == 0 && _order.Count == 0) _idle.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private static TaskCompletionSource Completed()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
        _available.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "A status write failed")]
        public static partial void WriteFailed(ILogger logger, Exception error);
    }
}
