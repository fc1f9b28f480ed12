using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Quorum.Core.Model;
using Quorum.Scheduling;

namespace Quorum.Binding;

/// <summary>Binds through the pods/binding subresource, as kube-scheduler's DefaultBinder does.</summary>
public sealed class KubernetesPodBinder(IKubernetes client) : IPodBinder
{
    public async Task<(BindOutcome Outcome, string? Message)> BindAsync(Pod pod, string node, CancellationToken cancellationToken)
    {
        var binding = new V1Binding
        {
            Metadata = new V1ObjectMeta { Name = pod.Key.Name, NamespaceProperty = pod.Key.Namespace, Uid = string.IsNullOrEmpty(pod.Uid) ? null : pod.Uid },
            Target = new V1ObjectReference { Kind = "Node", Name = node, ApiVersion = "v1" },
        };
        try
        {
            await client.CoreV1.CreateNamespacedPodBindingAsync(binding, pod.Key.Name, pod.Key.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (BindOutcome.Bound, null);
        }
        catch (HttpOperationException e)
        {
            var message = $"{(int)e.Response.StatusCode} {e.Response.Content}";
            return e.Response.StatusCode switch
            {
                HttpStatusCode.Conflict => (BindOutcome.AlreadyBound, message),
                HttpStatusCode.NotFound => (BindOutcome.PodGone, message),
                _ => (BindOutcome.Failed, message),
            };
        }
        catch (HttpRequestException e)
        {
            return (BindOutcome.Failed, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The client's own request timeout: the bind may or may not have been committed; the
            // watch will tell, and a retry gets 409 if it was.
            return (BindOutcome.Failed, "the request timed out");
        }
    }
}
