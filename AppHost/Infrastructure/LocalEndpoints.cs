using Aspire.Hosting.ApplicationModel;

namespace WarmTransfer.AppHost.Infrastructure;

public static class LocalEndpointExtensions
{
    /// <summary>
    /// A port Aspire allocates for a local server, reached directly rather than through Aspire's proxy: the server announces it to
    /// its peers (a cluster's nodes, epmd) and the clients must meet the same address.
    /// </summary>
    public static IResourceBuilder<T> WithLocalEndpoint<T>(this IResourceBuilder<T> server, string name, string scheme)
        where T : IResourceWithEndpoints =>
        server.WithEndpoint(name, endpoint =>
        {
            endpoint.UriScheme = scheme;
            endpoint.IsProxied = false;
        });
}
