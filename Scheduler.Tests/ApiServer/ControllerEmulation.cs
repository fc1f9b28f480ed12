using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// The two controllers whose absence would make deletes hang: the kubelet, which removes a gracefully
/// deleted pod once its containers stop (after <see cref="KubeApiStandInOptions.PodTerminationDelay"/>,
/// with a grace-0 delete guarded by the pod's uid), and the namespace controller, which empties a
/// Terminating namespace and then removes it. Both act through the same store transactions a client
/// would cause, so watchers see MODIFIED (deletionTimestamp) and then DELETED, as in a cluster.
/// </summary>
internal sealed partial class ApiHandlers
{
    private void ScheduleKubeletDeletion(ResourceKind kind, string key, string? uid)
    {
        if (options.PodTerminationDelay is not { } delay) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, lifetime).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            store.Atomically(() =>
            {
                var pod = store.Get(kind.StorageName, key);
                if (pod is null || JsonObjects.MetaStr(pod, "uid") != uid || pod["metadata"]?["deletionTimestamp"] is null) return;
                if ((pod["metadata"]?["finalizers"] as JsonArray ?? []).Count == 0)
                {
                    store.Delete(kind.StorageName, key);
                    return;
                }
                // Finalizers still hold it: the grace period is over, the finalizers decide.
                var done = pod.DeepClone().AsObject();
                JsonObjects.Metadata(done)["deletionGracePeriodSeconds"] = 0;
                store.Update(kind.StorageName, key, done);
            });
        });
    }

    /// <summary>Namespace deletion: Terminating now, emptied and removed by the namespace controller shortly after.</summary>
    private JsonObject TerminateNamespace(ResourceKind kind, JsonObject current, ApiContext api, bool dryRun)
    {
        if (current["metadata"]?["deletionTimestamp"] is not null) return kind.FromStorage(current);
        var marked = current.DeepClone().AsObject();
        JsonObjects.Metadata(marked)["deletionTimestamp"] = JsonObjects.Time(api.Now);
        JsonObjects.Ensure(marked, "status")["phase"] = "Terminating";
        if (dryRun) return kind.FromStorage(marked);
        var name = JsonObjects.Name(current);
        var updated = store.Update(kind.StorageName, name, marked);
        _ = Task.Run(() => RunNamespaceControllerAsync(name, api));
        return kind.FromStorage(updated);
    }

    private async Task RunNamespaceControllerAsync(string ns, ApiContext api)
    {
        while (!lifetime.IsCancellationRequested)
        {
            var finished = store.Atomically(() =>
            {
                if (store.Get("namespaces", ns) is null) return true;
                var remaining = 0;
                foreach (var kind in kinds.All.Where(k => k.Namespaced).DistinctBy(k => k.StorageName))
                {
                    foreach (var obj in store.All(kind.StorageName).Select(p => p.Value).Where(o => JsonObjects.Namespace(o) == ns).ToList())
                    {
                        remaining++;
                        if (obj["metadata"]?["deletionTimestamp"] is not null) continue;
                        try
                        {
                            Delete(kind, ns, JsonObjects.Name(obj), new JsonObject(), api, dryRun: false);
                        }
                        catch (ApiException)
                        {
                            // Retried on the next pass, as the controller requeues.
                        }
                    }
                }
                if (remaining > 0) return false;
                store.Delete("namespaces", ns);
                return true;
            });
            if (finished) return;
            try
            {
                await Task.Delay(50, lifetime).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
