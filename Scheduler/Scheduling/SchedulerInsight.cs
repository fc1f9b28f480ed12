using System.Collections.Concurrent;
using System.Collections.Immutable;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Scheduling;

/// <summary>One group's last attempt: when, what was decided, and the decision's failures in figures.</summary>
public sealed record AttemptRecord(DateTimeOffset At, GangDecision Decision, ImmutableArray<LevelShortfall> Shortfalls);

/// <summary>
/// Where the scheduling loop and the gRPC API meet. The loop records every attempt
/// (<see cref="Record"/>) and, between passes, answers the questions other threads asked
/// (<see cref="Answer"/>): the cache, queue and snapshot are not thread-safe, so a question runs on
/// the loop's thread instead of locking them on the hot path. A question waits at most one loop
/// tick (200 ms) plus a pass.
/// </summary>
public sealed class SchedulerInsight
{
    private readonly ConcurrentQueue<Action<LoopView>> _questions = new();
    // Loop thread only.
    private readonly Dictionary<ObjectKey, AttemptRecord> _attempts = [];
    private ClusterSnapshot? _current;

    /// <summary>Runs <paramref name="question"/> on the loop's thread at its next turn.</summary>
    public Task<T> AskAsync<T>(Func<LoopView, T> question, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _questions.Enqueue(view =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                answer.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                answer.TrySetResult(question(view));
            }
            catch (Exception e)
            {
                answer.TrySetException(e);
            }
        });
        return answer.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Loop thread: answers every question waiting.</summary>
    public void Answer(LoopView view)
    {
        while (_questions.TryDequeue(out var question)) question(view);
    }

    /// <summary>
    /// Loop thread, right after a pass: keeps each tried group's decision with its time and, for a
    /// refused one, the failures in figures on the snapshot the pass decided on. Records of groups
    /// that left the cluster are dropped.
    /// </summary>
    public void Record(LoopView view, LoopPass pass)
    {
        var now = view.Time.GetUtcNow();
        var snapshot = view.Loop.Snapshot;
        foreach (var d in pass.Decisions)
        {
            var shortfalls = ImmutableArray<LevelShortfall>.Empty;
            if (!d.Admitted && !d.Failures.IsDefaultOrEmpty && view.Queue.Find(d.Group) is { } request)
                shortfalls = LevelShortfall.Of(snapshot, view.Admission.TreeFor(snapshot, request.Tree), request, d);
            _attempts[d.Group] = new AttemptRecord(now, d, shortfalls);
        }
        foreach (var gone in _attempts.Keys.Where(k => view.Cluster.FindGroup(k) is null && view.Cluster.FindPod(k) is null).ToList())
            _attempts.Remove(gone);
    }

    /// <summary>Loop thread: the last attempt at a group by this instance, or null.</summary>
    public AttemptRecord? LastAttempt(ObjectKey group) => _attempts.GetValueOrDefault(group);

    /// <summary>
    /// Loop thread: a snapshot of the cache as it is now, for read-only questions. Kept between
    /// questions and brought up to date incrementally, so a question costs O(nodes changed).
    /// </summary>
    public ClusterSnapshot CurrentSnapshot(LoopView view)
    {
        _current ??= new ClusterSnapshot();
        view.Cluster.Cache.UpdateSnapshot(_current);
        return _current;
    }
}
