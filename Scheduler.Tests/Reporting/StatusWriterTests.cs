using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Reporting;
using Quorum.Benchmarks.Simulation;
using Quorum.Scheduling;
using Quorum.Tests.Integration;

namespace Quorum.Tests.Reporting;

public class StatusWriterTests
{
    /// <summary>Records writes; while <see cref="Gate"/> is set, each write waits for it (a slow API server).</summary>
    private sealed class SlowReporter : ISchedulingReporter
    {
        public ConcurrentQueue<string> Writes { get; } = new();
        public TaskCompletionSource? Gate { get; set; }

        private async Task Write(string line, CancellationToken ct)
        {
            Writes.Enqueue(line);
            if (Gate is { } g) await g.Task.WaitAsync(ct);
        }

        public Task ScheduledAsync(Pod pod, string node, CancellationToken c) => Write($"Scheduled {pod.Key.Name}", c);
        public Task UnschedulableAsync(ObjectKey group, bool isPodGroup, IReadOnlyList<Pod> pendingPods, string reason, string message, CancellationToken c) =>
            Write($"Unschedulable {group.Name}: {message}", c);
        public Task GroupStatusAsync(ObjectKey group, GroupStatus status, CancellationToken c) => Write($"Status {group.Name} {status.Phase}", c);
        public Task RefusedAsync(RefusedObject refused, CancellationToken c) => Write($"Refused {refused.Name}", c);
    }

    private static GroupStatus Phase(string phase) => GroupStatus.Invalid("x") with { Phase = phase };

    [Test]
    public async Task Calls_return_at_once_and_writes_of_one_object_coalesce_to_the_latest()
    {
        var inner = new SlowReporter { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var writer = new StatusWriter(inner, () => 0, TimeProvider.System, NullLogger<StatusWriter>.Instance, parallelism: 1);
        var g = new ObjectKey("ml", "job");

        await writer.GroupStatusAsync(g, Phase(GroupPhase.Pending), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(inner.Writes.Count == 1), "the first write started");
        // The API server is stuck on the first write: these queue behind it, and the loop does not wait.
        await writer.GroupStatusAsync(g, Phase(GroupPhase.Scheduled), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1));
        await writer.GroupStatusAsync(g, Phase(GroupPhase.Running), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1));
        Assert.That(writer.Pending, Is.EqualTo(1), "two states of one object are one write");

        inner.Gate.SetResult();
        await writer.WhenIdle.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(inner.Writes, Is.EqualTo(new[] { "Status job Pending", "Status job Running" }));
    }

    [Test]
    public async Task A_refusal_still_queued_when_its_pod_is_bound_is_never_written()
    {
        var inner = new SlowReporter { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var writer = new StatusWriter(inner, () => 0, TimeProvider.System, NullLogger<StatusWriter>.Instance, parallelism: 1);
        await writer.RefusedAsync(new RefusedObject("Node", null, "busy-worker", "x"), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(inner.Writes.Count == 1), "the worker is busy");

        var pod = Pods.Gpu("ml", "web", 1);
        await writer.UnschedulableAsync(pod.Key, false, [pod], "Unschedulable", "0/1 nodes are available", CancellationToken.None);
        await writer.ScheduledAsync(pod, "n1", CancellationToken.None);
        inner.Gate.SetResult();
        await writer.WhenIdle.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(inner.Writes, Is.EqualTo(new[] { "Refused busy-worker", "Scheduled web" }));
    }

    [Test]
    public async Task Status_writes_give_way_while_binds_wait_for_a_worker()
    {
        var inner = new SlowReporter();
        var time = new FakeTimeProvider();
        var bindsQueued = 5;
        await using var writer = new StatusWriter(inner, () => Volatile.Read(ref bindsQueued), time, NullLogger<StatusWriter>.Instance, parallelism: 1);

        await writer.GroupStatusAsync(new ObjectKey("ml", "job"), Phase(GroupPhase.Pending), CancellationToken.None);
        // The worker is waiting on the (fake) clock for the binds to drain; nothing is written meanwhile.
        Assert.That(writer.Pending, Is.EqualTo(1));
        time.Advance(TimeSpan.FromMilliseconds(500));
        await Task.Delay(50);
        Assert.That(inner.Writes, Is.Empty, "binds are queued: the write waits");

        Volatile.Write(ref bindsQueued, 0);
        time.Advance(TimeSpan.FromMilliseconds(10));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(inner.Writes.Count == 1), "written once the binds are out");
    }

    [Test]
    public async Task Status_is_never_starved_by_a_stream_of_binds()
    {
        var inner = new SlowReporter();
        var time = new FakeTimeProvider();
        await using var writer = new StatusWriter(inner, () => 1, time, NullLogger<StatusWriter>.Instance, parallelism: 1);
        await writer.GroupStatusAsync(new ObjectKey("ml", "job"), Phase(GroupPhase.Pending), CancellationToken.None);
        for (var i = 0; i < 2000 && inner.Writes.IsEmpty; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }
        Assert.That(inner.Writes, Has.Count.EqualTo(1), $"written after at most {StatusWriter.MaxYield.TotalSeconds} s of yielding");
    }
}
