import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { AccountsService } from './accounts.service.js';

@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  /** Registers a participant. The token in the answer is shown this once. */
  @Post()
  @HttpCode(201)
  async register(@Body() body: unknown) {
    const a = await this.accounts.register(body);
    return { id: a.id, name: a.name, role: a.role, token: a.token };
  }
}
