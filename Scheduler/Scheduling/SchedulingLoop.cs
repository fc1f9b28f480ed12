using Quorum.Binding;
using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;

namespace Quorum.Scheduling;

/// <summary>What one pass of the loop did, for metrics, logs and tests.</summary>
public sealed record LoopPass(int Tried, int Admitted, int PodsBound, int BindFailures, IReadOnlyList<GangDecision> Decisions);

/// <summary>
/// One scheduler pass: results of earlier binds applied, gangs from the cluster state into the queue,
/// a scheduling cycle on the snapshot, then each admitted gang's pods assumed and handed to the
/// binding pipeline; the pass does not wait for them. When every bind of a hand-over has reported
/// back, a failure forgets that pod's assumption and sends the group back with backoff; pods already
/// bound stay and count, so the next pass completes the group rather than starting over.
/// </summary>
public sealed class SchedulingLoop(
    ClusterState state,
    SchedulingQueue queue,
    SchedulingCycle cycle,
    BindingPipeline binding,
    ISchedulingReporter reporter,
    LoopSettings settings)
{
    /// <summary>A gang's binds in flight, counted until all have reported back.</summary>
    private sealed class HandOver(GangRequest request, bool isPodGroup)
    {
        public GangRequest Request { get; set; } = request;
        public bool IsPodGroup { get; } = isPodGroup;
        public int Placements { get; set; }
        public int Remaining { get; set; }
        public int Bound { get; set; }
        public int Failed { get; set; }
        public string? FirstError { get; set; }

        public void Fail(string error)
        {
            Failed++;
            if (FirstError is null || string.CompareOrdinal(error, FirstError) < 0) FirstError = error;
        }
    }

    private readonly Dictionary<ObjectKey, HandOver> _handOvers = [];
    private Reservation? _reservation;
    private readonly ClusterSnapshot _snapshot = new();
    private readonly Dictionary<ObjectKey, string> _signatures = [];
    private readonly Dictionary<ObjectKey, GangDecision> _lastDecision = [];
    private readonly Dictionary<ObjectKey, string> _lastStatus = [];
    private readonly HashSet<(string, string?, string)> _reportedRefusals = [];
    private long _capacityEpoch = -1;
    private AssembledGangs? _assembled;
    private long _assembledVersion = -1;
    private long _reportedVersion = -1;
    private DateTimeOffset _nextTimeout = DateTimeOffset.MaxValue;

    public ClusterSnapshot Snapshot => _snapshot;

    public GangDecision? LastDecision(ObjectKey group) => _lastDecision.GetValueOrDefault(group);

    /// <summary>The gangs as the last pass assembled them, while no event has changed the state since; otherwise null.</summary>
    public AssembledGangs? CurrentGangs => _assembled is not null && _assembledVersion == state.Version ? _assembled : null;

    /// <summary>The binding pipeline this loop hands admitted pods to.</summary>
    public BindingPipeline Binding => binding;

    /// <param name="bindTerm">Cancels the binds this pass hands over (the term of leadership); the pass's own token when default.</param>
    public async Task<LoopPass> RunOnceAsync(CancellationToken cancellationToken, CancellationToken bindTerm = default)
    {
        var (boundBefore, failedBefore) = await ApplyBindResultsAsync(cancellationToken).ConfigureAwait(false);
        var expired = state.Cache.ExpireAssumedPods();
        foreach (var pod in expired) state.Freed(pod.NodeName!);
        // Forgotten assumptions change which members count as bound.
        if (expired.Count > 0) state.Touch();

        // Gangs are assembled again only when an event changed the state: a pass runs on every tick.
        if (CurrentGangs is not { } assembled)
        {
            assembled = _assembled = state.Assemble(settings.SchedulerNames, settings.DefaultTopology);
            _assembledVersion = state.Version;
            SyncQueue(assembled);
            await ReportRefusalsAsync(assembled, cancellationToken).ConfigureAwait(false);
        }

        state.Cache.UpdateSnapshot(_snapshot);
        if (state.CapacityEpoch != _capacityEpoch)
        {
            // Queueing hint: only parked groups that could use a node where room appeared are tried again.
            _capacityEpoch = state.CapacityEpoch;
            var (freed, changed) = state.TakeNodeEvents();
            var filters = cycle.Admission.Profile.Filters;
            queue.OnCapacityFreed(freed, _snapshot, filters, _reservation);
            queue.OnNodesChanged(changed, _snapshot, filters);
        }
        var ready = queue.Ready();
        // A group whose binds are still out waits for their results: a failure there sends it to
        // backoff, and its other members are assumed, not to be placed again meanwhile.
        if (_handOvers.Count > 0) ready = [.. ready.Where(r => !_handOvers.ContainsKey(r.Key))];
        if (ready.Count == 0)
        {
            // Nothing to try, but status still follows the cluster (members bound by the last pass,
            // pods the kubelet reports running) and the clock (scheduleTimeoutSeconds passing).
            if (_reportedVersion != state.Version || settings.Time.GetUtcNow() >= _nextTimeout)
                await ReportGroupStatusAsync(assembled, cancellationToken).ConfigureAwait(false);
            return new LoopPass(0, 0, boundBefore, failedBefore, []);
        }
        var result = cycle.Run(_snapshot, ready);
        queue.Reserving = result.Reservation?.Group;
        _reservation = result.Reservation;
        var requests = new Dictionary<ObjectKey, GangRequest>(ready.Count);
        foreach (var r in ready) requests[r.Key] = r;

        var admitted = 0;
        foreach (var decision in result.Decisions)
        {
            _lastDecision[decision.Group] = decision;
            var request = requests[decision.Group];
            var isPodGroup = assembled.PodGroupKeys.Contains(decision.Group);
            queue.Done(decision);
            if (!decision.Admitted)
            {
                await reporter.UnschedulableAsync(decision.Group, isPodGroup, Pending(request), decision.Reason,
                    decision.Message ?? "", cancellationToken).ConfigureAwait(false);
                continue;
            }
            admitted++;
            await HandOverAsync(request, decision, isPodGroup, bindTerm.CanBeCanceled ? bindTerm : cancellationToken, cancellationToken).ConfigureAwait(false);
        }
        if (admitted > 0) state.Touch();
        await ReportGroupStatusAsync(assembled, cancellationToken).ConfigureAwait(false);
        return new LoopPass(result.Decisions.Length, admitted, boundBefore, failedBefore, result.Decisions);
    }

    /// <summary>
    /// Assumes every placed pod (the next cycle must see the whole gang's capacity as taken while its
    /// binds are in flight) and hands them to the pipeline.
    /// </summary>
    private async Task HandOverAsync(GangRequest request, GangDecision decision, bool isPodGroup, CancellationToken term, CancellationToken ct)
    {
        if (!_handOvers.TryGetValue(decision.Group, out var handOver)) _handOvers[decision.Group] = handOver = new HandOver(request, isPodGroup);
        handOver.Request = request;
        handOver.Placements += decision.Placements.Length;
        var members = request.Members.ToDictionary(m => m.Key);
        var toBind = new List<(Pod Pod, string Node)>(decision.Placements.Length);
        foreach (var p in decision.Placements)
        {
            var pod = members[p.Pod];
            var assumed = state.Cache.AssumePod(pod, p.Node, bindingPending: true);
            if (assumed.Outcome == CacheOutcome.Applied) toBind.Add((pod, p.Node));
            else
            {
                state.Cache.Invalidate(p.Node);
                handOver.Fail($"pod {pod.Key}: {assumed.Reason}");
            }
        }
        handOver.Remaining += toBind.Count;
        foreach (var (pod, node) in toBind)
            await binding.SubmitAsync(new BindWork(decision.Group, pod, node, term), ct).ConfigureAwait(false);
        if (handOver.Remaining == 0) await FinishAsync(decision.Group, handOver, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies what the binding pipeline reported since the last call, on the loop's thread (the cache
    /// is not thread-safe); returns how many binds succeeded and failed.
    /// </summary>
    public async Task<(int Bound, int Failed)> ApplyBindResultsAsync(CancellationToken cancellationToken)
    {
        int bound = 0, failed = 0;
        List<ObjectKey>? finished = null;
        while (binding.TryTake(out var r))
        {
            var handOver = _handOvers.GetValueOrDefault(r.Group);
            if (r.Outcome == BindOutcome.Bound)
            {
                bound++;
                state.Cache.FinishBinding(r.Pod.Key);
                if (handOver is not null) handOver.Bound++;
            }
            else
            {
                failed++;
                if (state.Cache.ForgetPod(r.Pod.Key).Outcome == CacheOutcome.Applied) state.Freed(r.Node);
                state.Touch();
                handOver?.Fail($"pod {r.Pod.Key}: {r.Message ?? r.Outcome.ToString()}");
            }
            if (handOver is not null && --handOver.Remaining == 0) (finished ??= []).Add(r.Group);
        }
        if (finished is not null)
            foreach (var group in finished)
                await FinishAsync(group, _handOvers[group], cancellationToken).ConfigureAwait(false);
        return (bound, failed);
    }

    private async Task FinishAsync(ObjectKey group, HandOver handOver, CancellationToken ct)
    {
        _handOvers.Remove(group);
        if (handOver.Failed == 0) return;
        queue.BindFailed(handOver.Request);
        // The queue holds the request as it was at admission; the next assembly hands it the members
        // as they are now (some bound, the failed ones pending again).
        _signatures.Remove(group);
        state.Touch();
        await reporter.UnschedulableAsync(group, handOver.IsPodGroup, Pending(handOver.Request), "BindingRejected",
            $"{handOver.Failed} of {handOver.Placements} binds failed: {handOver.FirstError}; {handOver.Bound} bound pods stay and count toward the minimum",
            ct).ConfigureAwait(false);
    }

    private void SyncQueue(AssembledGangs assembled)
    {
        var present = new HashSet<ObjectKey>();
        foreach (var request in assembled.Ready)
        {
            present.Add(request.Key);
            // Only a changed group goes back to the active lane; an unchanged one stays parked.
            var signature = Signature(request);
            if (_signatures.TryGetValue(request.Key, out var old) && old == signature) continue;
            _signatures[request.Key] = signature;
            queue.AddOrUpdate(request);
        }
        foreach (var gone in _signatures.Keys.Where(k => !present.Contains(k)).ToList())
        {
            _signatures.Remove(gone);
            queue.Remove(gone);
            // A PodGroup that still exists keeps its last decision for its status; a single pod that
            // was bound or deleted, or a deleted PodGroup, leaves nothing behind.
            if (!assembled.PodGroupKeys.Contains(gone)) _lastDecision.Remove(gone);
        }
        foreach (var deleted in _lastStatus.Keys.Where(k => !assembled.PodGroupKeys.Contains(k)).ToList()) _lastStatus.Remove(deleted);
    }

    /// <summary>
    /// What makes a group worth trying again: its spec's content (not the object: our own status
    /// writes come back as watch events with a fresh copy) and its members' binding and gates.
    /// </summary>
    private static string Signature(GangRequest r)
    {
        var s = r.Tree.Spec;
        return $"{s.MinMember}|{s.MinSubGroup}|{s.Priority}|{s.TopologyConstraint}|{string.Join(';', s.SubGroups)}|"
            + string.Join(',', r.Members.Select(m => $"{m.Key}@{m.NodeName}:{m.SchedulingGated}"));
    }

    /// <summary>PodScheduled condition reason for pods of an invalid group, or naming a missing group or sub-group.</summary>
    public const string InvalidPodGroupReason = "InvalidPodGroup";

    private List<Pod> Found(IEnumerable<ObjectKey> pods) => [.. pods.Select(state.FindPod).OfType<Pod>()];

    private static List<Pod> Pending(GangRequest request) => [.. request.Members.Where(m => !m.IsBound)];

    private async Task ReportRefusalsAsync(AssembledGangs assembled, CancellationToken ct)
    {
        var current = new HashSet<(string, string?, string)>();
        foreach (var r in state.Refused)
        {
            // A pod of another scheduler that Quorum cannot read still matters (it may hold capacity
            // Quorum cannot count), but the events on it belong to its own scheduler.
            if (r.SchedulerName is { } name && !settings.SchedulerNames.Contains(name)) continue;
            current.Add((r.Kind, r.Namespace, r.Name));
            if (_reportedRefusals.Add((r.Kind, r.Namespace, r.Name))) await reporter.RefusedAsync(r, ct).ConfigureAwait(false);
        }
        foreach (var g in assembled.Refused)
        {
            var key = ("PodGroup", (string?)g.Group.Namespace, g.Group.Name);
            current.Add(key);
            if (!_reportedRefusals.Add(key)) continue;
            await reporter.RefusedAsync(new RefusedObject("PodGroup", g.Group.Namespace, g.Group.Name, g.Message), ct).ConfigureAwait(false);
            if (g.Code != StatusCode.Invalid) continue;
            await reporter.GroupStatusAsync(g.Group, GroupStatus.Invalid(g.Message), ct).ConfigureAwait(false);
            // Users look at their pods first: each says why it waits (never "Unschedulable": more
            // nodes would not help, so no autoscaler should act on it).
            await reporter.UnschedulableAsync(g.Group, false, Found(g.Pods), InvalidPodGroupReason, g.Message, ct).ConfigureAwait(false);
        }
        foreach (var p in assembled.RefusedPods)
        {
            var key = ("Pod", (string?)p.Pod.Namespace, p.Pod.Name);
            current.Add(key);
            if (_reportedRefusals.Add(key)) await reporter.UnschedulableAsync(p.Pod, false, Found([p.Pod]), InvalidPodGroupReason, p.Reason, ct).ConfigureAwait(false);
        }
        // Fixed objects may be refused again later, and must then be reported again.
        _reportedRefusals.IntersectWith(current);
    }

    private async Task ReportGroupStatusAsync(AssembledGangs assembled, CancellationToken ct)
    {
        // Every valid PodGroup, not only those with pods pending: a group that finished binding must
        // still move to Scheduled and Running.
        _reportedVersion = state.Version;
        var now = settings.Time.GetUtcNow();
        _nextTimeout = DateTimeOffset.MaxValue;
        var trees = assembled.Ready.ToDictionary(r => r.Key, r => r.Tree);
        // Members grouped once per pass, not searched per group (O(pods + groups), not O(pods × groups)).
        var membersOf = state.Pods.Where(p => p.Group is not null)
            .ToLookup(p => new ObjectKey(p.Key.Namespace, p.Group!.PodGroup), p => state.Cache.FindPod(p.Key) ?? p);
        foreach (var spec in state.Groups)
        {
            var tree = trees.GetValueOrDefault(spec.Key)
                ?? PodGroupValidator.Validate(spec, state.FindTopology, settings.DefaultTopology).Tree;
            if (tree is null) continue;
            var key = spec.Key;
            var members = membersOf[key].ToList();
            var status = GroupStatus.Compute(tree, members, _lastDecision.GetValueOrDefault(key), now);
            if (status.Phase == GroupPhase.Pending && spec.ScheduleTimeoutSeconds is { } timeout
                && spec.CreationTimestamp + TimeSpan.FromSeconds(timeout) is var due && due >= now && due < _nextTimeout)
                _nextTimeout = due;
            // Write only what changed: every status write comes back as a watch event.
            var rendered = $"{status.Phase}|{status.Scheduled}|{status.Running}|{string.Join(';', status.SubGroups)}|{string.Join(';', status.Conditions)}";
            if (_lastStatus.TryGetValue(key, out var previous) && previous == rendered) continue;
            _lastStatus[key] = rendered;
            await reporter.GroupStatusAsync(key, status, ct).ConfigureAwait(false);
        }
    }
}

/// <summary>What the loop needs from the configuration.</summary>
public sealed record LoopSettings(IReadOnlyCollection<string> SchedulerNames, string DefaultTopology, TimeProvider Time);
