/**
 * An HTTP endpoint that answers like an empty AWS account, for running the BUILT CLI with --endpoint-url
 * (aws-sdk-client-mock cannot reach into a child process). It speaks just enough of each protocol for the
 * read calls a plan makes — STS and IAM and SES (query/XML), EC2 (ec2 query), Lambda (REST-JSON), SSM
 * (JSON 1.1), SQS (JSON 1.0), S3 (REST-XML, path style) — and records every request. Anything else is answered with an
 * error and recorded as unexpected: a dry run must never get there.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EndpointCall {
  service: string;
  action: string;
  method: string;
  path: string;
}

const READ = /^(Get|List|Describe|Head)/;

const xml = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
};

const queryError = (res: ServerResponse, status: number, code: string, message: string) =>
  xml(res, status, `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);

const ec2Error = (res: ServerResponse, code: string, message: string) =>
  xml(res, 400, `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>fake</RequestID></Response>`);

function serviceOf(req: IncomingMessage): string {
  const auth = String(req.headers.authorization ?? '');
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1] ?? 'unknown';
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface FakeEndpoint {
  url: string;
  calls: EndpointCall[];
  /** calls that are not reads (Get/List/Describe/Head, S3 HEAD/GET) */
  mutating(): EndpointCall[];
  close(): Promise<void>;
}

export async function startFakeEndpoint(account = '123456789012'): Promise<FakeEndpoint> {
  const calls: EndpointCall[] = [];
  const server: Server = createServer(async (req, res) => {
    const service = serviceOf(req);
    const text = await body(req);
    const path = req.url ?? '/';
    const form = new URLSearchParams(text);
    const target = String(req.headers['x-amz-target'] ?? '');
    let action = form.get('Action') ?? target.split('.').pop() ?? '';
    if (service === 's3') action = `${req.method} ${path.split('?')[0]}`;
    if (service === 'lambda' || service === 'cloudfront') action = `${req.method} ${path.split('?')[0]}`;
    calls.push({ service, action, method: req.method ?? '', path });

    switch (service) {
      case 'sts':
        if (action === 'GetCallerIdentity') {
          return xml(res, 200, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${account}:user/tester</Arn><UserId>AIDAFAKE</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
        }
        break;
      case 's3':
        // an empty account: no bucket exists
        if (req.method === 'HEAD' || req.method === 'GET') {
          if (req.method === 'HEAD') {
            res.writeHead(404);
            return res.end();
          }
          return xml(res, 404, '<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>');
        }
        break;
      case 'iam':
        if (action === 'GetRole' || action === 'GetInstanceProfile') return queryError(res, 404, 'NoSuchEntity', `The ${action === 'GetRole' ? 'role' : 'instance profile'} cannot be found.`);
        break;
      case 'lambda':
        if (req.method === 'GET' && path.startsWith('/2015-03-31/functions/')) {
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
          return res.end(JSON.stringify({ Type: 'User', Message: 'Function not found' }));
        }
        break;
      case 'ec2':
        switch (action) {
          case 'DescribeVpcs':
            return xml(res, 200, `<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><vpcSet><item><vpcId>vpc-0fake</vpcId><isDefault>true</isDefault></item></vpcSet></DescribeVpcsResponse>`);
          case 'DescribeSubnets':
            return xml(res, 200, `<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><subnetSet><item><subnetId>subnet-0fake</subnetId><vpcId>vpc-0fake</vpcId><availabilityZone>sa-east-1a</availabilityZone><defaultForAz>true</defaultForAz></item></subnetSet></DescribeSubnetsResponse>`);
          case 'DescribeSecurityGroups':
            return xml(res, 200, `<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><securityGroupInfo/></DescribeSecurityGroupsResponse>`);
          case 'DescribeInstanceTypes': {
            const type = form.get('InstanceType.1') ?? '';
            const arch = /^[a-z]+\d+g/.test(type) ? 'arm64' : 'x86_64';
            return xml(res, 200, `<DescribeInstanceTypesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><instanceTypeSet><item><instanceType>${type}</instanceType><burstablePerformanceSupported>${type.startsWith('t')}</burstablePerformanceSupported><processorInfo><supportedArchitectures><item>${arch}</item></supportedArchitectures></processorInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>`);
          }
          case 'DescribeInstances':
            return xml(res, 200, `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><reservationSet/></DescribeInstancesResponse>`);
        }
        return ec2Error(res, 'UnsupportedOperation', `fake endpoint: ${action}`);
      case 'ssm':
        if (action === 'GetParameter') {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          const name = (JSON.parse(text) as { Name: string }).Name;
          return res.end(JSON.stringify({ Parameter: { Name: name, Type: 'String', Value: 'ami-0fake' } }));
        }
        break;
      case 'cloudfront': {
        // an empty account: no origin access control, response headers policy or distribution
        const lists: Record<string, string> = {
          'origin-access-control': '<OriginAccessControlList><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>0</Quantity></OriginAccessControlList>',
          'response-headers-policy': '<ResponseHeadersPolicyList><MaxItems>100</MaxItems><Quantity>0</Quantity></ResponseHeadersPolicyList>',
          distribution: '<DistributionList><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>0</Quantity></DistributionList>',
        };
        const list = req.method === 'GET' ? lists[path.split('?')[0].split('/')[2] ?? ''] : undefined;
        if (list) return xml(res, 200, `<?xml version="1.0" encoding="UTF-8"?>${list.replace('>', ' xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">')}`);
        break;
      }
      case 'sqs':
        // an empty account: no queue (SQS speaks JSON 1.0, with the query protocol's error code in a header)
        if (action === 'GetQueueUrl') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' });
          return res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }));
        }
        break;
      case 'logs':
        if (action === 'DescribeLogGroups') {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          return res.end(JSON.stringify({ logGroups: [] }));
        }
        break;
      case 'email':
      case 'ses':
        if (action === 'GetIdentityVerificationAttributes') {
          return xml(res, 200, `<GetIdentityVerificationAttributesResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetIdentityVerificationAttributesResult><VerificationAttributes/></GetIdentityVerificationAttributesResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetIdentityVerificationAttributesResponse>`);
        }
        if (action === 'GetIdentityDkimAttributes') {
          return xml(res, 200, `<GetIdentityDkimAttributesResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetIdentityDkimAttributesResult><DkimAttributes/></GetIdentityDkimAttributesResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetIdentityDkimAttributesResponse>`);
        }
        if (action === 'GetSendQuota') {
          return xml(res, 200, `<GetSendQuotaResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetSendQuotaResult><Max24HourSend>200.0</Max24HourSend><MaxSendRate>1.0</MaxSendRate><SentLast24Hours>0.0</SentLast24Hours></GetSendQuotaResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetSendQuotaResponse>`);
        }
        break;
    }
    queryError(res, 400, 'UnexpectedCall', `fake endpoint: ${service} ${action} is not expected`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    mutating: () => calls.filter((c) => (['s3', 'lambda', 'cloudfront'].includes(c.service) ? !['GET', 'HEAD'].includes(c.method) : !READ.test(c.action))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
