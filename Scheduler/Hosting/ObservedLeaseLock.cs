using System.Net;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;

namespace Quorum.Hosting;

/// <summary>
/// KubernetesClient's Lease lock, with its failures made visible. The library's elector swallows a
/// failed read, create or update of the Lease and simply tries again, so a replica whose Lease cannot
/// be written (its namespace missing, RBAC lacking) would stand by forever in silence; kube-scheduler
/// logs each failed attempt. Conflicts (another replica won the race) and a Lease not found on read
/// (the first replica to start) are the normal course of an election and are not reported.
/// </summary>
public sealed class ObservedLeaseLock(IKubernetes client, string @namespace, string name, string identity, Action<string?> attempted)
    : LeaseLock(client, @namespace, name, identity)
{
    protected override Task<V1Lease> ReadMetaObjectAsync(IKubernetes client, string name, string namespaceParameter, CancellationToken cancellationToken) =>
        Observe(() => base.ReadMetaObjectAsync(client, name, namespaceParameter, cancellationToken), "read", HttpStatusCode.NotFound);

    protected override Task<V1Lease> CreateMetaObjectAsync(IKubernetes client, V1Lease obj, string namespaceParameter, CancellationToken cancellationToken) =>
        Observe(() => base.CreateMetaObjectAsync(client, obj, namespaceParameter, cancellationToken), "create", HttpStatusCode.Conflict);

    protected override Task<V1Lease> ReplaceMetaObjectAsync(IKubernetes client, V1Lease obj, string name, string namespaceParameter, CancellationToken cancellationToken) =>
        Observe(() => base.ReplaceMetaObjectAsync(client, obj, name, namespaceParameter, cancellationToken), "update", HttpStatusCode.Conflict);

    private async Task<V1Lease> Observe(Func<Task<V1Lease>> call, string verb, HttpStatusCode expected)
    {
        try
        {
            var lease = await call().ConfigureAwait(false);
            attempted(null);
            return lease;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode != expected)
        {
            attempted($"{verb} Lease {Describe()}: {(int)e.Response.StatusCode} {Message(e)}");
            throw;
        }
        catch (HttpRequestException e)
        {
            attempted($"{verb} Lease {Describe()}: {e.Message}");
            throw;
        }
    }

    /// <summary>The API server's own words (a Status object's message) rather than the client's generic text.</summary>
    private static string Message(HttpOperationException e)
    {
        try
        {
            if (KubernetesJson.Deserialize<V1Status>(e.Response.Content) is { Message: { Length: > 0 } m }) return m;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return e.Response.ReasonPhrase ?? e.Message;
    }
}
