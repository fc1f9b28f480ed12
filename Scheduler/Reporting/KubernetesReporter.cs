using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Kubernetes;
using Quorum.Scheduling;

namespace Quorum.Reporting;

/// <summary>
/// Writes decisions where users look: events.k8s.io/v1 Events with kube-scheduler's reasons
/// (Scheduled, FailedScheduling), the PodScheduled=False/Unschedulable condition that cluster
/// autoscalers read, and PodGroup status. API failures are logged, never fatal: reporting must not
/// stop scheduling.
/// </summary>
public sealed partial class KubernetesReporter(IKubernetes client, EventThrottle throttle, string controller, string instance, ILogger<KubernetesReporter> log)
    : ISchedulingReporter
{
    /// <summary>
    /// Per pending pod, the PodScheduled=False message last written (null until a write succeeds) and
    /// since when the condition has been False.
    /// </summary>
    private readonly Dictionary<ObjectKey, (string? Message, string Since)> _podCondition = [];
    private readonly Dictionary<(ObjectKey Group, string Type), (bool Status, string Since)> _groupConditions = [];
    private readonly Lock _gate = new();

    public async Task ScheduledAsync(Pod pod, string node, CancellationToken cancellationToken)
    {
        lock (_gate) _podCondition.Remove(pod.Key);
        await EventAsync("Pod", "v1", pod.Key.Namespace, pod.Key.Name, pod.Uid, "Normal", "Scheduled", "Binding",
            $"Successfully assigned {pod.Key} to {node}", cancellationToken).ConfigureAwait(false);
    }

    public async Task UnschedulableAsync(ObjectKey group, bool isPodGroup, IReadOnlyList<Pod> pendingPods, string reason, string message, CancellationToken cancellationToken)
    {
        if (isPodGroup)
            await EventAsync("PodGroup", PodGroupResource.GroupVersion, group.Namespace, group.Name, null, "Warning", "FailedScheduling", "Scheduling", message, cancellationToken).ConfigureAwait(false);
        var n = 0;
        foreach (var pod in pendingPods.OrderBy(p => p.Key, ObjectKey.Ordinal))
        {
            // The condition goes on every pod (autoscalers read it per pod), but only when it changed.
            // False since the first time it was written: a new message is not a transition.
            (string? Message, string Since) seen;
            lock (_gate)
            {
                if (!_podCondition.TryGetValue(pod.Key, out seen)) _podCondition[pod.Key] = seen = (null, Timestamp());
            }
            // The decision's own reason: only "Unschedulable" (no node fits) makes a cluster autoscaler
            // add nodes, so a gang still waiting for its pods must not claim it. Remembered only once
            // written, so a failed patch is tried again on the next attempt.
            if (seen.Message != message && await PodConditionAsync(pod, reason, message, seen.Since, cancellationToken).ConfigureAwait(false))
                lock (_gate) _podCondition[pod.Key] = (message, seen.Since);
            if (n++ < throttle.PodEventsPerGroup)
                await EventAsync("Pod", "v1", pod.Key.Namespace, pod.Key.Name, pod.Uid, "Warning", "FailedScheduling", "Scheduling", message, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>metav1.Condition semantics: lastTransitionTime moves only when the status flips, not when the message changes.</summary>
    private string Since(ObjectKey group, GroupCondition c, string now)
    {
        lock (_gate)
        {
            if (_groupConditions.TryGetValue((group, c.Type), out var seen) && seen.Status == c.Status) return seen.Since;
            _groupConditions[(group, c.Type)] = (c.Status, now);
            return now;
        }
    }

    public async Task GroupStatusAsync(ObjectKey group, GroupStatus status, CancellationToken cancellationToken)
    {
        var now = Timestamp();
        var body = new
        {
            status = new
            {
                phase = status.Phase,
                scheduled = status.Scheduled,
                running = status.Running,
                // A group without sub-groups is its own only leaf (named ""): no per-sub-group counts to show.
                subGroups = status.SubGroups.Where(s => s.Name.Length > 0).Select(s => new { name = s.Name, scheduled = s.Scheduled, pending = s.Pending }),
                conditions = status.Conditions.Select(c => new
                {
                    type = c.Type,
                    status = c.Status ? "True" : "False",
                    reason = c.Reason,
                    message = c.Message,
                    lastTransitionTime = Since(group, c, now),
                }),
            },
        };
        try
        {
            await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(JsonSerializer.Serialize(body), V1Patch.PatchType.MergePatch),
                PodGroupResource.ApiGroup, PodGroupResource.Version, group.Namespace, "podgroups", group.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.ReportFailed(log, "PodGroup status", group.ToString(), e.Message);
        }
    }

    public Task RefusedAsync(RefusedObject refused, CancellationToken cancellationToken) => refused.Kind switch
    {
        "Pod" => EventAsync("Pod", "v1", refused.Namespace!, refused.Name, null, "Warning", "FailedScheduling", "Scheduling", refused.Message, cancellationToken),
        "PodGroup" => EventAsync("PodGroup", PodGroupResource.GroupVersion, refused.Namespace!, refused.Name, null, "Warning", "InvalidPodGroup", "Validating", refused.Message, cancellationToken),
        // Cluster-scoped objects: events go to the default namespace, as for nodes in kube.
        _ => EventAsync(refused.Kind, refused.Kind == "Topology" ? PodGroupResource.GroupVersion : "v1", "default", refused.Name, null, "Warning", "Invalid", "Validating", refused.Message, cancellationToken),
    };

    /// <summary>Forgets the conditions written on pods that are no longer pending (deleted, or bound elsewhere).</summary>
    public void Prune(Func<ObjectKey, bool> stillPending)
    {
        lock (_gate)
        {
            foreach (var key in _podCondition.Keys.Where(k => !stillPending(k)).ToList()) _podCondition.Remove(key);
        }
    }

    private async Task<bool> PodConditionAsync(Pod pod, string reason, string message, string since, CancellationToken ct)
    {
        var body = new
        {
            status = new
            {
                conditions = new[]
                {
                    new { type = "PodScheduled", status = "False", reason, message, lastTransitionTime = since },
                },
            },
        };
        try
        {
            await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(JsonSerializer.Serialize(body), V1Patch.PatchType.StrategicMergePatch),
                pod.Key.Name, pod.Key.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.ReportFailed(log, "PodScheduled condition", pod.Key.ToString(), e.Message);
            return false;
        }
    }

    private async Task EventAsync(string kind, string apiVersion, string ns, string name, string? uid, string type, string reason, string action, string note, CancellationToken ct)
    {
        bool allowed;
        lock (_gate) allowed = throttle.Allow($"{kind}/{ns}/{name}", reason, note);
        if (!allowed) return;
        var ev = new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = EventName(name), NamespaceProperty = ns },
            EventTime = DateTime.UtcNow,
            ReportingController = controller,
            ReportingInstance = instance,
            Action = action,
            Reason = reason,
            Type = type,
            Note = Truncate(note, MaxNoteBytes),
            Regarding = new V1ObjectReference { Kind = kind, ApiVersion = apiVersion, NamespaceProperty = ns, Name = name, Uid = string.IsNullOrEmpty(uid) ? null : uid },
        };
        try
        {
            await client.EventsV1.CreateNamespacedEventAsync(ev, ns, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.ReportFailed(log, $"{reason} event", $"{kind} {ns}/{name}", e.Message);
        }
    }

    /// <summary>metav1.Time as the API server writes it: UTC, whole seconds.</summary>
    private static string Timestamp() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>events.k8s.io/v1 validation: note is at most 1 KiB, counted in bytes (UTF-8), not characters.</summary>
    internal const int MaxNoteBytes = 1024;

    internal static string Truncate(string note, int maxBytes)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(note) <= maxBytes) return note;
        var budget = maxBytes - 3;
        var end = 0;
        for (var bytes = 0; end < note.Length; )
        {
            var width = char.IsSurrogatePair(note, end) ? 2 : 1;
            var size = System.Text.Encoding.UTF8.GetByteCount(note.AsSpan(end, width));
            if (bytes + size > budget) break;
            bytes += size;
            end += width;
        }
        return note[..end] + "...";
    }

    /// <summary>
    /// "{object}.{16 hex}" as client-go names events, the object's part shortened so the whole stays a
    /// valid name of at most 253 characters (unique by the suffix however long the object's name).
    /// </summary>
    internal static string EventName(string regarding)
    {
        var suffix = Guid.NewGuid().ToString("N")[..16];
        var head = regarding.Length > 253 - 17 ? regarding[..(253 - 17)].TrimEnd('.', '-') : regarding;
        return $"{head}.{suffix}";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Could not write {What} for {Object}: {Error}")]
        public static partial void ReportFailed(ILogger logger, string what, string @object, string error);
    }
}
