/** The few S3 XML answers the client reads. S3's XML is flat and regular, so tag extraction is enough (pure). */

export interface ListedObject {
  key: string;
  sizeBytes: number;
  lastModified: string;
}

function decodeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export function readXmlTag(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? decodeXml(match[1] ?? '') : undefined;
}

export function parseS3Error(xml: string): { code: string; message: string } | undefined {
  if (!/<Error>/.test(xml)) return undefined;
  return { code: readXmlTag(xml, 'Code') ?? 'Unknown', message: readXmlTag(xml, 'Message') ?? '' };
}

export function parseListObjects(xml: string): { objects: ListedObject[]; nextToken: string | undefined } {
  const objects = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map(([, entry]) => ({
    key: readXmlTag(entry ?? '', 'Key') ?? '',
    sizeBytes: Number(readXmlTag(entry ?? '', 'Size') ?? 0),
    lastModified: readXmlTag(entry ?? '', 'LastModified') ?? '',
  }));
  const truncated = readXmlTag(xml, 'IsTruncated') === 'true';
  return { objects, nextToken: truncated ? readXmlTag(xml, 'NextContinuationToken') : undefined };
}
