using Quorum.Core.Gangs;
using Quorum.Api.V1Alpha1;
using Quorum.Core.Model;
using Quorum.Scheduling;

namespace Quorum.Api;

/// <summary>
/// Explain: why a pod or PodGroup waits, from the scheduler's own state: the object as the scheduler
/// read it, the queue, and the last attempt this instance made (the same message as its
/// FailedScheduling Event, with the figures behind it).
/// </summary>
internal static class ExplainQuery
{
    /// <summary>What was asked about, validated on the caller's thread.</summary>
    public sealed record Target(ObjectKey Key, bool IsPod);

    public static Target Validate(ExplainRequest request) => request.TargetCase switch
    {
        ExplainRequest.TargetOneofCase.Pod => new Target(ProtoMapping.Key(request.Pod, "pod"), true),
        ExplainRequest.TargetOneofCase.PodGroup => new Target(ProtoMapping.Key(request.PodGroup, "pod_group"), false),
        _ => throw ApiErrors.Invalid("target", "set pod or pod_group"),
    };

    /// <summary>Runs on the loop's thread.</summary>
    public static ExplainResponse Answer(LoopView view, SchedulerInsight insight, Target target)
    {
        var cluster = view.Cluster;
        var names = view.Options.SchedulerNames;
        var response = new ExplainResponse { Leader = view.State.Leader };
        RefusedObject? Refused(string kind, ObjectKey key) =>
            cluster.Refused.FirstOrDefault(r => r.Kind == kind && r.Namespace == key.Namespace && r.Name == key.Name);

        Pod? pod = null;
        ObjectKey group;
        bool isPodGroup;
        if (target.IsPod)
        {
            pod = cluster.FindPod(target.Key);
            if (pod is null)
            {
                var refused = Refused("Pod", target.Key) ?? throw ApiErrors.NotFound($"pod {target.Key} not found (or it has terminated)");
                response.Group = ProtoMapping.Ref(target.Key);
                return State(response, "Invalid", refused.Message);
            }
            (group, isPodGroup) = pod.Group is { } m ? (new ObjectKey(pod.Key.Namespace, m.PodGroup), true) : (pod.Key, false);
        }
        else
        {
            (group, isPodGroup) = (target.Key, true);
            if (cluster.FindGroup(group) is null && Refused("PodGroup", group) is null) throw ApiErrors.NotFound($"PodGroup {group} not found");
        }
        response.Group = ProtoMapping.Ref(group);
        response.IsPodGroup = isPodGroup;

        var attempt = insight.LastAttempt(group);
        // The loop's own index, for this gang only: assembling every gang of the cluster per question
        // would make Explain cost O(pods) on the scheduler's thread.
        var gang = view.Loop.Gangs.Find(new GangIndex.GangId(group, isPodGroup));
        var podRefusals = (gang?.RefusedPods ?? []).ToDictionary(r => r.Pod, r => r.Reason);
        var unplaced = attempt?.Decision.Unplaced.ToDictionary(u => u.Pod, u => u.Reason) ?? [];
        var members = isPodGroup
            ? view.Loop.Gangs.MembersOf(group).ToList()
            : [pod!];
        // An assumed pod is placed though its bind is not visible yet: the cache knows its node.
        string? NodeOf(Pod p) => (cluster.Cache.FindPod(p.Key) ?? p).NodeName;
        foreach (var m in members)
        {
            var node = NodeOf(m);
            var reason = node is not null ? ""
                : podRefusals.GetValueOrDefault(m.Key)
                  ?? (m.SchedulingGated ? "pod has schedulingGates; not schedulable until they are removed" : unplaced.GetValueOrDefault(m.Key) ?? "");
            response.Pods.Add(new PodState { Name = m.Key.Name, Node = node ?? "", SubGroup = m.Group?.SubGroup ?? "", Reason = reason });
        }

        if (view.Queue.Find(group) is not null)
        {
            response.Queue = new QueueStatus
            {
                Lane = view.Queue.LaneOf(group)!.Value.ToString(),
                Position = view.Queue.PositionOf(group),
                Length = view.Queue.Count,
                Attempts = view.Queue.AttemptsOf(group),
            };
            if (view.Queue.FirstRefused(group) is { } first) response.Queue.FirstRefused = ProtoMapping.Time(first);
        }
        if (attempt is not null)
        {
            response.LastAttempt = new Attempt
            {
                Time = ProtoMapping.Time(attempt.At),
                Admitted = attempt.Decision.Admitted,
                Reason = attempt.Decision.Reason,
                Message = attempt.Decision.Message ?? "",
                AlreadyBound = attempt.Decision.AlreadyBound,
            };
            response.LastAttempt.Levels.AddRange(ProtoMapping.Levels(attempt.Decision, attempt.Shortfalls));
        }

        if (pod is not null && !names.Contains(pod.SchedulerName))
            return State(response, "NotOurs", $"pod {pod.Key} has schedulerName {pod.SchedulerName}; this scheduler is {string.Join(", ", names)}");
        if (isPodGroup && Refused("PodGroup", group) is { } badGroup) return State(response, "Invalid", badGroup.Message);
        if (isPodGroup && cluster.FindGroup(group) is null)
            return State(response, "MissingPodGroup", podRefusals.GetValueOrDefault(pod!.Key) ?? $"PodGroup {group.Name} does not exist in namespace {group.Namespace}");
        if (gang?.Refusal is { } refusal) return State(response, refusal.Reason, refusal.Message);
        if (pod is not null && podRefusals.TryGetValue(pod.Key, out var why)) return State(response, "Invalid", why);
        if (pod is not null && NodeOf(pod) is { } boundTo) return State(response, "Bound", $"pod {pod.Key} is bound to node {boundTo}");
        if (response.Queue is not null)
        {
            if (attempt is { Decision.Admitted: false } a) return State(response, a.Decision.Reason, a.Decision.Message ?? "");
            return State(response, "Queued", view.State.Leader ? "waiting for its next attempt" : "this instance is a standby; the leader tries groups");
        }
        if (gang?.Ready is not null)
            return State(response, "Queued", view.State.Leader ? "waiting for its first attempt" : "this instance is a standby; the leader tries groups");
        var bound = members.Count(m => NodeOf(m) is not null);
        return State(response, "Admitted", $"nothing left to place: {bound} of {members.Count} pods bound");
    }

    private static ExplainResponse State(ExplainResponse response, string state, string message)
    {
        response.State = state;
        response.Message = message;
        return response;
    }
}
