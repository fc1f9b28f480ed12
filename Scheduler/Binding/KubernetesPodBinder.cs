using Quorum.Core.Plugins;
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
    public async Task<(BindOutcome Outcome, string? Message)> BindAsync(Pod pod, string node, IReadOnlyList<VolumeAction> volumes,
        CancellationToken cancellationToken)
    {
        foreach (var action in volumes)
        {
            try
            {
                switch (action)
                {
                    case BindVolume b:
                        // Static binding: the PV is promised to the claim and the PV controller binds both.
                        // Read, then update at that resourceVersion: a PV another claim took meanwhile is a
                        // conflict, never overwritten.
                        var pv = await client.CoreV1.ReadPersistentVolumeAsync(b.Volume, cancellationToken: cancellationToken).ConfigureAwait(false);
                        if (pv.Spec.ClaimRef is { } taken && (taken.Name != b.Claim.Name || taken.NamespaceProperty != b.Claim.Namespace))
                            return (BindOutcome.Failed, $"persistentvolume {b.Volume} was taken by claim {taken.NamespaceProperty}/{taken.Name}");
                        pv.Spec.ClaimRef = new V1ObjectReference
                        {
                            Kind = "PersistentVolumeClaim", ApiVersion = "v1", NamespaceProperty = b.Claim.Namespace, Name = b.Claim.Name,
                            Uid = string.IsNullOrEmpty(b.ClaimUid) ? null : b.ClaimUid,
                        };
                        await client.CoreV1.ReplacePersistentVolumeAsync(pv, b.Volume, cancellationToken: cancellationToken).ConfigureAwait(false);
                        break;
                    case SelectNode s:
                        var annotation = new { metadata = new { annotations = new Dictionary<string, string> { [VolumePlan.SelectedNodeAnnotation] = s.Node } } };
                        await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(new V1Patch(annotation, V1Patch.PatchType.MergePatch), s.Claim.Name,
                            s.Claim.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
            catch (HttpOperationException e)
            {
                return (BindOutcome.Failed, $"binding volumes of claim {action.Claim}: {(int)e.Response.StatusCode} {e.Response.Content}");
            }
            catch (HttpRequestException e)
            {
                return (BindOutcome.Failed, $"binding volumes of claim {action.Claim}: {e.Message}");
            }
        }
        return await BindAsync(pod, node, cancellationToken).ConfigureAwait(false);
    }

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
