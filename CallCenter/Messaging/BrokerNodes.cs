using RabbitMQ.Client;

namespace WarmTransfer.CallCenter.Messaging;

/// <summary>
/// The RabbitMQ nodes a connection string names: one AMQP URI, or one per node of a cluster separated by commas (a comma in
/// a password is written <c>%2C</c>). The first URI gives the user, password and virtual host; every URI gives a node, its
/// scheme whether the node speaks TLS (with the TLS settings configured on the client).
/// </summary>
public sealed record BrokerNodes(Uri First, IReadOnlyList<AmqpTcpEndpoint> Endpoints)
{
    /// <summary>The nodes of <paramref name="connectionString"/>, or null when it is empty.</summary>
    /// <exception cref="FormatException">A part is not an absolute <c>amqp://</c> or <c>amqps://</c> URI.</exception>
    public static BrokerNodes? Parse(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        var uris = connectionString.Split(',', StringSplitOptions.TrimEntries).Select(part =>
            Uri.TryCreate(part, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps"
                ? uri
                : throw new FormatException($"The RabbitMQ connection string's part '{Redacted(part)}' is not an amqp:// or amqps:// URI.")).ToList();
        return new BrokerNodes(uris[0], [.. uris.Select(Endpoint)]);
    }

    private static AmqpTcpEndpoint Endpoint(Uri uri)
    {
        var tls = uri.Scheme == "amqps";
        var port = uri.IsDefaultPort || uri.Port < 0 ? (tls ? AmqpTcpEndpoint.DefaultAmqpSslPort : AmqpTcpEndpoint.UseDefaultPort) : uri.Port;
        return new AmqpTcpEndpoint(uri.Host, port, new SslOption(uri.Host, enabled: tls));
    }

    /// <summary>
    /// The nodes, each TLS one with the TLS settings configured on the factory (client certificate file, versions, validation) and its own
    /// server name.
    /// </summary>
    public IReadOnlyList<AmqpTcpEndpoint> EndpointsWith(SslOption configured) =>
    [
        .. Endpoints.Select(node => !node.Ssl.Enabled ? node : new AmqpTcpEndpoint(node.HostName, node.Port, new SslOption(node.HostName, configured.CertPath, enabled: true)
        {
            CertPassphrase = configured.CertPassphrase,
            // Certificates given as such rather than as a file (reading them from a file's path would load it here).
            Certs = string.IsNullOrEmpty(configured.CertPath) ? configured.Certs : null,
            ClientCertificateContext = configured.ClientCertificateContext,
            Version = configured.Version,
            AcceptablePolicyErrors = configured.AcceptablePolicyErrors,
            CheckCertificateRevocation = configured.CheckCertificateRevocation,
            CertificateValidationCallback = configured.CertificateValidationCallback,
            CertificateSelectionCallback = configured.CertificateSelectionCallback,
        })),
    ];

    private static string Redacted(string part) =>
        part.IndexOf('@', StringComparison.Ordinal) is var at and >= 0 ? $"…{part[at..]}" : part;
}
