/** Plain JSON for Prisma Json columns: drops undefined and checks the shape instead of casting. */
import { z } from 'zod';
import type { Prisma } from '../../../prisma/generated/client';

const ZJsonObject = z.record(z.string(), z.json());

export function jsonObject(value: object): Prisma.InputJsonObject {
  return ZJsonObject.parse(JSON.parse(JSON.stringify(value)));
}
