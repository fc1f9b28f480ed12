using System.Diagnostics;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quorum.Binding;
using Quorum.Configuration;
using Quorum.Core.Gangs;
using Quorum.Core.Placement;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;
using Quorum.Kubernetes;
using Quorum.Reporting;
using Quorum.Scheduling;

namespace Quorum.Hosting;

/// <summary>
/// The scheduler process: watches feed one loop that applies events in order and, once every initial
/// list is in and this instance leads, runs scheduling passes. Standbys keep a warm cache and take
/// over within the lease duration; the lease is released on graceful shutdown.
/// </summary>
public sealed partial class SchedulerHost(
    IKubernetes client,
    SchedulerOptions options,
    SchedulerState state,
    SchedulerMetrics metrics,
    TimeProvider time,
    ILoggerFactory logs) : BackgroundService
{
    private readonly ILogger _log = logs.CreateLogger<SchedulerHost>();

    /// <summary>Cancelled when this replica stops leading; null without leader election.</summary>
    private CancellationTokenSource? _term;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ttl = GoDuration.Parse(options.AssumedPodTtl);
        var maxParked = GoDuration.Parse(options.PodMaxInUnschedulablePodsDuration);
        var cluster = new ClusterState(new ClusterCache(time, new CacheOptions { AssumedPodTtl = ttl }));
        var queue = new SchedulingQueue(time, new QueueOptions
        {
            InitialBackoff = TimeSpan.FromSeconds(options.PodInitialBackoffSeconds),
            MaxBackoff = TimeSpan.FromSeconds(options.PodMaxBackoffSeconds),
            MaxInUnschedulable = maxParked,
            StarvationThreshold = GoDuration.Parse(options.StarvationThreshold),
        });
        var admission = new GangAdmission(options.CreateProfile());
        var reporter = new KubernetesReporter(client, new EventThrottle(time, TimeSpan.FromMinutes(1)), options.SchedulerNames[0], state.Identity,
            logs.CreateLogger<KubernetesReporter>());
        // Binds and status writes leave the loop: it decides, assumes and hands over, and goes on.
        BindingPipeline? pipeline = null;
        await using var writer = new StatusWriter(reporter, () => pipeline?.Queued ?? 0, time, logs.CreateLogger<StatusWriter>());
        await using var binding = pipeline = new BindingPipeline(new KubernetesPodBinder(client), writer, options.BindParallelism);
        var loop = new SchedulingLoop(cluster, queue, new SchedulingCycle(admission, time), binding, writer,
            new LoopSettings(options.SchedulerNames, options.DefaultTopology, time));
        var view = new LoopView(cluster, queue, loop, admission, options, state, time);

        var sources = new ClusterSources(client, logs);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watching = sources.RunAsync(stop.Token);
        var electing = options.LeaderElection.LeaderElect ? ElectAsync(stop.Token) : Task.CompletedTask;
        if (!options.LeaderElection.LeaderElect) state.Leader = true;

        var synced = new HashSet<string>(StringComparer.Ordinal);
        var countedVersion = -1L;
        var nextPrune = time.GetUtcNow().AddMinutes(1);
        try
        {
            // One wait for events at a time, kept across ticks until it completes: a fresh wait per idle
            // tick would leave one waiter behind in the channel per tick until the next event.
            Task<bool>? waitForEvent = null;
            while (!stop.IsCancellationRequested)
            {
                // Apply every event that is waiting, then schedule: the pass sees a consistent state.
                waitForEvent ??= sources.Events.WaitToReadAsync(stop.Token).AsTask();
                var tick = Task.Delay(TimeSpan.FromMilliseconds(200), time, stop.Token);
                // Bind results wake a leader's loop; a standby leaves them for its next term.
                if (state.Synced && state.Leader) await Task.WhenAny(waitForEvent, tick, binding.ResultsReady).ConfigureAwait(false);
                else await Task.WhenAny(waitForEvent, tick).ConfigureAwait(false);
                if (waitForEvent.IsCompleted) waitForEvent = null;
                while (sources.Events.TryRead(out var e))
                {
                    if (e.Synced) { synced.Add(e.Kind); continue; }
                    Apply(cluster, e);
                }
                state.Synced = synced.Count == sources.Kinds.Count;
                state.Insight.Answer(view);
                if (!state.Synced || !state.Leader) continue;

                var started = Stopwatch.GetTimestamp();
                using var activity = SchedulerMetrics.Tracing.StartActivity("SchedulingPass");
                // A pass belongs to one term of leadership: losing the lease cancels its binds, so a
                // deposed leader does not go on binding a large gang beside the new one.
                using var term = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, _term?.Token ?? CancellationToken.None);
                LoopPass pass;
                try
                {
                    pass = await loop.RunOnceAsync(term.Token, _term?.Token ?? stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested && term.IsCancellationRequested)
                {
                    Log.PassCancelled(_log);
                    continue;
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    // One failed pass must not stop the scheduler: log it, wait, and try again from the
                    // state the watches keep current.
                    Log.PassFailed(_log, e);
                    activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stop.Token).ConfigureAwait(false);
                    continue;
                }
                if (cluster.Version != countedVersion || pass.Tried > 0)
                {
                    countedVersion = cluster.Version;
                    metrics.PendingPods = loop.Gangs.PendingPods;
                    metrics.GroupsPending = queue.Count;
                }
                // On idle passes too: pods deleted while the scheduler has nothing to do are forgotten as well.
                if (time.GetUtcNow() >= nextPrune)
                {
                    nextPrune = time.GetUtcNow().AddMinutes(1);
                    reporter.Prune(k => cluster.FindPod(k) is { IsBound: false });
                }
                if (pass.Tried == 0 && pass.PodsBound == 0 && pass.BindFailures == 0)
                {
                    // An idle tick is not worth a span: without this, one would be exported every 200 ms.
                    if (activity is not null) activity.IsAllDataRequested = false;
                    continue;
                }
                state.Insight.Record(view, pass);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (pass.Tried > 0) metrics.E2eDuration.Record(seconds);
                foreach (var d in pass.Decisions)
                {
                    // kube-scheduler's results: a refusal of any kind is "unschedulable", not an error.
                    var result = d.Admitted ? "scheduled" : "unschedulable";
                    metrics.Attempts.Add(1, new KeyValuePair<string, object?>("result", result));
                    metrics.AttemptDuration.Record(seconds / pass.Tried, new KeyValuePair<string, object?>("result", result));
                    if (d.Admitted) metrics.Admissions.Add(1);
                    if (d.Admitted && cluster.FindGroup(d.Group) is { } g && g.CreationTimestamp != default)
                        metrics.GangAdmission.Record((time.GetUtcNow() - g.CreationTimestamp).TotalSeconds);
                }
                activity?.SetTag("quorum.groups_tried", pass.Tried);
                activity?.SetTag("quorum.groups_admitted", pass.Admitted);
                activity?.SetTag("quorum.pods_bound", pass.PodsBound);
                activity?.SetTag("quorum.bind_failures", pass.BindFailures);
                if (pass.BindFailures > 0) activity?.SetStatus(ActivityStatusCode.Error, $"{pass.BindFailures} binds failed");
                Log.Pass(_log, pass.Tried, pass.Admitted, pass.PodsBound, pass.BindFailures, seconds * 1000);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await Task.WhenAll(watching, electing).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
    }

    private void Apply(ClusterState cluster, ClusterEvent e)
    {
        switch (e.Object)
        {
            case V1Node n: cluster.ApplyNode(n, e.Deleted); break;
            case V1Pod p: cluster.ApplyPod(p, e.Deleted); break;
            case V1PriorityClass pc: cluster.ApplyPriorityClass(pc, e.Deleted); break;
            case PodGroupResource g: cluster.ApplyPodGroup(g, e.Deleted); break;
            case TopologyResource t: cluster.ApplyTopology(t, e.Deleted); break;
            case V1PersistentVolumeClaim c: cluster.ApplyClaim(c, e.Deleted); break;
            case V1PersistentVolume v: cluster.ApplyVolume(v, e.Deleted); break;
            case V1StorageClass sc: cluster.ApplyStorageClass(sc, e.Deleted); break;
            case V1CSINode csi: cluster.ApplyCsiNode(csi, e.Deleted); break;
        }
    }

    /// <summary>
    /// Leader election on a coordination.k8s.io Lease, for as long as the host runs; the lease is
    /// released when the host stops. KubernetesClient's elector ends on the first error it does not
    /// expect (a connection refused while the API server restarts): then it is started again after
    /// the retry period, or this replica would never lead again while every probe stayed green.
    /// </summary>
    private async Task ElectAsync(CancellationToken ct)
    {
        var le = options.LeaderElection;
        var lease = GoDuration.Parse(le.LeaseDuration);
        var renew = GoDuration.Parse(le.RenewDeadline);
        var retry = GoDuration.Parse(le.RetryPeriod);
        var leaseLock = new ObservedLeaseLock(client, le.ResourceNamespace, le.ResourceName, state.Identity, failure =>
        {
            state.ElectionError = failure;
            if (failure is not null) Log.ElectionAttemptFailed(_log, failure);
        });
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock) { LeaseDuration = lease, RenewDeadline = renew, RetryPeriod = retry });
                elector.OnStartedLeading += () =>
                {
                    Interlocked.Exchange(ref _term, new CancellationTokenSource())?.Dispose();
                    state.ElectionError = null;
                    state.Leader = true;
                    Log.Leading(_log, state.Identity);
                };
                elector.OnStoppedLeading += () =>
                {
                    StepDown();
                    Log.StoppedLeading(_log, state.Identity);
                };
                try
                {
                    await elector.RunAndTryToHoldLeadershipForeverAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    StepDown();
                    Log.ElectionFailed(_log, retry.TotalMilliseconds, e.Message);
                    await Task.Delay(retry, time, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            // Not "if leader": the elector reports leadership lost when it is cancelled, before this
            // runs. ReleaseAsync gives the lease up only if the record still names this instance.
            StepDown();
            await ReleaseAsync(leaseLock).ConfigureAwait(false);
        }
    }

    /// <summary>No longer the leader: a pass in flight is cancelled.</summary>
    private void StepDown()
    {
        state.Leader = false;
        _term?.Cancel();
    }

    /// <summary>Gives the lease up at once (client-go's ReleaseOnCancel), so a standby need not wait for it to expire.</summary>
    private async Task ReleaseAsync(LeaseLock leaseLock)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var record = await leaseLock.GetAsync(timeout.Token).ConfigureAwait(false);
            if (record.HolderIdentity != state.Identity) return;
            record.HolderIdentity = "";
            record.LeaseDurationSeconds = 1;
            await leaseLock.UpdateAsync(record, timeout.Token).ConfigureAwait(false);
            Log.Released(_log, state.Identity);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            Log.ReleaseFailed(_log, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Pass: {Tried} groups tried, {Admitted} admitted, {Bound} pods bound, {BindFailures} bind failures in {Ms:F1} ms")]
        public static partial void Pass(ILogger logger, int tried, int admitted, int bound, int bindFailures, double ms);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Identity} is now the leader")]
        public static partial void Leading(ILogger logger, string identity);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Identity} lost leadership; standing by")]
        public static partial void StoppedLeading(ILogger logger, string identity);

        [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Identity} released the lease")]
        public static partial void Released(ILogger logger, string identity);

        [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Could not release the lease: {Error}")]
        public static partial void ReleaseFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Leader election failed; starting it again in {DelayMs} ms: {Error}")]
        public static partial void ElectionFailed(ILogger logger, double delayMs, string error);

        [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Leader election attempt failed: {Error}")]
        public static partial void ElectionAttemptFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Pass cancelled: this replica stopped leading")]
        public static partial void PassCancelled(ILogger logger);

        [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "Scheduling pass failed; trying again in 1 s")]
        public static partial void PassFailed(ILogger logger, Exception error);
    }
}
