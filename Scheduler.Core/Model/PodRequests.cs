namespace Quorum.Core.Model;

/// <summary>A container's requests and whether it is a restartable init container (a sidecar).</summary>
public readonly record struct ContainerRequests(ResourceVector Requests, bool IsSidecar = false);

/// <summary>
/// A pod's effective request, computed as kube-scheduler does (k8s.io/component-helpers
/// resource.PodRequests): the larger of (sum of app containers + sidecars) and, for each regular init
/// container, its request plus the sidecars started before it; then pod overhead added.
/// </summary>
public static class PodRequests
{
    public static ResourceVector Compute(IEnumerable<ContainerRequests> containers,
        IEnumerable<ContainerRequests> initContainers, ResourceVector overhead = default)
    {
        var sum = ResourceVector.Zero;
        foreach (var c in containers) sum += c.Requests;

        var sidecars = ResourceVector.Zero;
        var initPeak = ResourceVector.Zero;
        foreach (var init in initContainers)
        {
            if (init.IsSidecar)
            {
                sidecars += init.Requests;
                // A sidecar runs alongside the init containers that follow it.
                initPeak = ResourceVector.Max(initPeak, sidecars);
            }
            else
            {
                initPeak = ResourceVector.Max(initPeak, init.Requests + sidecars);
            }
        }

        return ResourceVector.Max(sum + sidecars, initPeak) + overhead;
    }
}
